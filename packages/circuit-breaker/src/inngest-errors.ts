import { NonRetriableError, RetryAfterError } from 'inngest';
import { getAsyncCtx } from 'inngest/experimental';
import type { CircuitOpenError } from './breaker.errors';

/**
 * @internal The error a rejected call throws: inside an Inngest function, Inngest's
 * `RetryAfterError` for the time until probes start (plus up to `jitter` of it, so that queued runs
 * do not all wake at once); elsewhere, or when forced open, the `CircuitOpenError` itself.
 */
export async function rejectionError(rejection: CircuitOpenError, jitter: number): Promise<Error> {
  if (rejection.retryAfterMs < 0 || !(await insideInngest())) return rejection;
  const delayMs = Math.ceil(Math.max(rejection.retryAfterMs, 1) * (1 + Math.random() * jitter));
  return new RetryAfterError(rejection.message, delayMs, { cause: rejection });
}

/** @internal A permanent error becomes Inngest's `NonRetriableError` inside an Inngest function. */
export async function failureError(error: unknown, permanent: boolean): Promise<unknown> {
  if (permanent && (await insideInngest())) {
    return new NonRetriableError((error as Error)?.message ?? String(error), { cause: error });
  }
  return error;
}

/** Whether the code runs inside an Inngest function execution (its async context). */
async function insideInngest(): Promise<boolean> {
  try {
    return Boolean((await getAsyncCtx())?.execution);
  } catch {
    return false;
  }
}
