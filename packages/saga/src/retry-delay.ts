import type { RetryPolicy } from './saga.types';

/** The default `RetryPolicy.maxRetryAfterMs`: 5 minutes. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 5 * 60_000;

/** The default `maxBreakerWaitMs`: 1 hour of waits on an open breaker per step or compensation. */
export const DEFAULT_MAX_BREAKER_WAIT_MS = 60 * 60_000;

/** The `code` of `@sagaline/circuit-breaker`'s `CircuitOpenError`, the refusal the saga recognises. */
export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN';

/** How deep a refusal is looked for in `cause`: the breaker wraps it once in a `RetryAfterError`. */
const MAX_CAUSE_DEPTH = 4;

const SECOND = 1_000;
const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_MAX_BACKOFF_MS = 60_000;

/**
 * @internal The delay a failed attempt's error asks for before the next try, in ms, or `undefined`
 * when it names none:
 * - a numeric `retryAfterMs` of 0 or more, on any error (a rate-limited client's error, a
 *   `CircuitOpenError`; a forced-open breaker's `-1` names none);
 * - Inngest's `RetryAfterError`, matched by name since it may come from another copy of `inngest`:
 *   v4 keeps its `retryAfter` as a string of whole seconds, or an ISO date (then the time left
 *   until `now`, 0 if past); a `Date` is read the same way.
 *
 * Called where the attempt fails, inside its durable step, so the delay is stored with the
 * attempt and a replay sleeps the same amount.
 */
export function requestedRetryDelay(error: unknown, now: number): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { retryAfterMs, name, retryAfter } = error as {
    retryAfterMs?: unknown;
    name?: unknown;
    retryAfter?: unknown;
  };
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return retryAfterMs;
  }
  if (name !== 'RetryAfterError') return undefined;
  if (retryAfter instanceof Date) return timeUntil(retryAfter.getTime(), now);
  if (typeof retryAfter !== 'string') return undefined;
  const text = retryAfter.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * SECOND;
  return timeUntil(Date.parse(text), now);
}

/**
 * @internal Whether the call was refused up front, without reaching the dependency: the error, or
 * one of its `cause`s, has the `code` `CIRCUIT_OPEN` (an open or half-open `@sagaline/circuit-breaker`,
 * or any error that follows the same contract) and a `retryAfterMs` of 0 or more. A forced-open
 * breaker (`-1`) names no time and is not a refusal the saga waits out. Returns the breaker's name
 * when the error carries one, and the refusal's own delay.
 */
export function refusalOf(error: unknown): { breaker?: string; retryAfterMs: number } | undefined {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const { code, retryAfterMs, breaker, cause } = current as {
      code?: unknown;
      retryAfterMs?: unknown;
      breaker?: unknown;
      cause?: unknown;
    };
    if (code === CIRCUIT_OPEN_CODE) {
      if (typeof retryAfterMs !== 'number' || !(retryAfterMs >= 0)) return undefined;
      return typeof breaker === 'string' ? { breaker, retryAfterMs } : { retryAfterMs };
    }
    current = cause;
  }
  return undefined;
}

/**
 * @internal How long to wait after failed attempt number `attempt` (1-based): the delay the error
 * asked for, capped by `maxRetryAfterMs`, else the policy's doubling backoff.
 *
 * Both are rounded up to whole seconds: Inngest's durable sleeps have a resolution of one second
 * and drop the rest, which would wake the step before the service said it may call again (backoffs
 * under a second are refused at start-up, see `assertRunnable`).
 */
export function retryDelay(policy: RetryPolicy | undefined, attempt: number, requestedMs?: number): number {
  if (requestedMs !== undefined) {
    const cap = policy?.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    return Math.ceil(Math.min(requestedMs, cap) / SECOND) * SECOND;
  }
  const backoff = (policy?.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (attempt - 1);
  return Math.ceil(Math.min(backoff, policy?.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS) / SECOND) * SECOND;
}

function timeUntil(at: number, now: number): number | undefined {
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
