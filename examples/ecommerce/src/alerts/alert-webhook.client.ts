import type { ShopAlert } from './shop-alert';

/**
 * The webhook did not take an alert. `permanent`: it refused the alert itself (a `4xx` other than
 * `408` and `429`), so the same post will never succeed; otherwise a retry may (a timeout, a
 * broken connection, a `5xx`, a `429` with its `retryAfterMs`).
 */
export class AlertWebhookError extends Error {
  readonly code = 'ALERT_WEBHOOK_FAILED';
  constructor(
    readonly url: string,
    readonly dedupeKey: string,
    /** The answer's status; undefined when there was no answer. */
    readonly status: number | undefined,
    readonly permanent: boolean,
    detail: string,
    /** How long a `429` asked us to wait, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `The alert webhook ${url} did not take alert ${dedupeKey}: ${detail}. ${
        permanent
          ? 'It refused the alert itself: check ALERT_WEBHOOK_URL and the receiver.'
          : 'It is retried.'
      }`,
    );
    this.name = 'AlertWebhookError';
  }
}

/** How a post went: the receiver's status, and whether it already had an alert under this key. */
export interface AlertPostResult {
  status: number;
  /** The receiver answered a retry with the alert it stored the first time (`idempotent-replayed`, or a reused key). */
  duplicate: boolean;
}

/**
 * Posts alerts to the webhook as JSON, with the alert's `dedupeKey` as `Idempotency-Key`, and gives
 * up after `timeoutMs` (the request is aborted). One attempt per call: retries are the caller's
 * (an Inngest step, so they are durable).
 */
export class AlertWebhookClient {
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** @throws AlertWebhookError when the webhook did not answer `2xx` in time. */
  async post(alert: ShopAlert): Promise<AlertPostResult> {
    const failed = (status: number | undefined, permanent: boolean, detail: string, retryAfterMs?: number) =>
      new AlertWebhookError(this.url, alert.dedupeKey, status, permanent, detail, retryAfterMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': alert.dedupeKey },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      const cause = (error as { cause?: { code?: string } })?.cause?.code;
      throw failed(
        undefined,
        false,
        timedOut
          ? `no answer within ${this.timeoutMs} ms`
          : `unreachable (${(error as Error)?.message ?? error}${cause ? `: ${cause}` : ''})`,
      );
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      return { status, duplicate: response.headers.get('idempotent-replayed') === 'true' };
    }
    // the receiver holds an alert under this key already: what a dedupe is for
    if ((status === 409 || status === 422) && text.includes('idempotency_key_reused')) {
      return { status, duplicate: true };
    }
    const detail = `${status} ${text.slice(0, 200)}`;
    if (status === 429) {
      const retryAfter = response.headers.get('retry-after')?.trim();
      throw failed(
        status,
        false,
        detail,
        retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1_000 : undefined,
      );
    }
    throw failed(status, status >= 400 && status < 500 && status !== 408, detail);
  }
}
