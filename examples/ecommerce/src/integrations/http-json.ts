/** The answer of an external service: its status and parsed JSON body. */
export interface JsonResponse<T = any> {
  status: number;
  body: T;
}

/**
 * The service could not be reached, or the connection broke before its answer arrived (refused,
 * reset, a reply lost on the way back). Retried with backoff, and it counts against the breaker: a
 * service that drops its connections is unwell. A retry is safe because every call that changes
 * something carries an `Idempotency-Key`.
 */
export class ServiceUnreachableError extends Error {
  readonly code = 'SERVICE_UNREACHABLE';
  constructor(
    readonly service: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`${service} at ${url} did not answer: ${networkFailure(cause)}.`, { cause });
    this.name = 'ServiceUnreachableError';
  }
}

/**
 * The service answered `429 Too Many Requests`: it is healthy and limiting us. It does not count
 * against the breaker, and `retryAfterMs` (from its `Retry-After`, when it sent one) is the delay
 * the saga waits before the next attempt instead of its backoff.
 */
export class RateLimitedError extends Error {
  readonly code = 'SERVICE_RATE_LIMITED';
  constructor(
    readonly service: string,
    /** How long the service asked us to wait, in ms; undefined when it did not say. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(
      `${service} is limiting our requests (429); ${
        retryAfterMs === undefined ? 'it named no delay' : `it asks us to retry after ${retryAfterMs} ms`
      }.`,
    );
    this.name = 'RateLimitedError';
  }
}

/**
 * The service refused the request itself (a `4xx` other than `429`, and not one of the business
 * refusals its client knows, such as a card decline): the same request will never succeed, so it
 * is not retried, and it does not count against the breaker (the service is well; the request is not).
 */
export class ServiceRefusedError extends Error {
  readonly code = 'SERVICE_REFUSED';
  constructor(
    readonly service: string,
    readonly status: number,
    /** The service's error code, e.g. `parameter_invalid`. */
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`${service} refused the request with ${status} (${reason}): ${detail} It is not retried.`);
    this.name = 'ServiceRefusedError';
  }
}

/** The refusal a `4xx` answer in the services' `{ error: { code, message } }` shape stands for. */
export function refusedError(service: string, { status, body }: JsonResponse): ServiceRefusedError {
  return new ServiceRefusedError(
    service,
    status,
    body?.error?.code ?? `http_${status}`,
    body?.error?.message ?? 'no detail',
  );
}

/**
 * Sends a JSON request with an optional `Idempotency-Key`, so a call retried after a timeout or a
 * lost reply is recognised by the service. The timeout is the caller's `signal`: the circuit
 * breaker's, which aborts the request when its `timeoutMs` runs out.
 *
 * @throws ServiceUnreachableError when the connection failed (not when `signal` aborted it: the
 * breaker reports its own timeout).
 * @throws RateLimitedError on a `429`; every other status is the caller's to judge.
 */
export async function requestJson<T = any>(
  service: string,
  url: string,
  options: {
    method?: string;
    body?: unknown;
    idempotencyKey?: string;
    signal?: AbortSignal;
  },
): Promise<JsonResponse<T>> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    // a connection reset while the body streams in fails here, not in fetch()
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ServiceUnreachableError(service, url, error);
  }
  if (response.status === 429) {
    throw new RateLimitedError(service, retryAfterMs(response.headers.get('retry-after')));
  }
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * A `Retry-After` header in ms: delay-seconds or an HTTP date (RFC 9110, 10.2.3); undefined when
 * absent or unreadable, and 0 for a date already past.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // every HTTP-date form starts with the day's name; Date.parse alone takes "-5" for a year
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Undici says `fetch failed` and keeps the reason (ECONNRESET, "other side closed") in `cause`. */
function networkFailure(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message;
  return reason ? `${message} (${reason})` : message;
}
