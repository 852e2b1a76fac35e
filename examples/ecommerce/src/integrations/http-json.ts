/** The answer of an external service: its status and parsed JSON body. */
export interface JsonResponse<T = any> {
  status: number;
  body: T;
}

/** The service could not be reached, or did not answer in time. */
export class ServiceUnreachableError extends Error {
  readonly code = 'SERVICE_UNREACHABLE';
  constructor(
    readonly service: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`${service} at ${url} did not answer: ${(cause as Error)?.message ?? String(cause)}.`, { cause });
    this.name = 'ServiceUnreachableError';
  }
}

/**
 * Sends a JSON request with an optional `Idempotency-Key`, so a call retried by Inngest after a
 * timeout is recognised by the service. The timeout is the caller's `signal`: the circuit
 * breaker's, which aborts the request when its `timeoutMs` runs out.
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
  } catch (error) {
    throw new ServiceUnreachableError(service, url, error);
  }
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
