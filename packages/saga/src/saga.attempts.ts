import { refusalOf, requestedRetryDelay, retryDelay } from './retry-delay';
import { toFailure } from './saga.failure';
import type { SagaWait } from './saga.state';
import type { RetryPolicy, SagaStepTools } from './saga.types';

/** What one try of a step or compensation stores as its durable step's output. */
export type AttemptResult =
  | { ok: true; value: unknown; startedAt: number; endedAt: number }
  | {
      ok: false;
      permanent: boolean;
      name: string;
      message: string;
      /** The delay the error asked for before the next try (see `requestedRetryDelay`). */
      retryAfterMs?: number;
      /** Set when a dependency refused the call up front (an open breaker): see `refusalOf`. */
      refused?: { breaker?: string };
      /** When the try failed: with the delay, when the next try is due, the same on every replay. */
      failedAt?: number;
    };

/** How a step or compensation ended after its tries. */
export type AttemptsOutcome =
  | {
      ok: true;
      value: unknown;
      startedAt: number;
      endedAt: number;
      attempts: number;
      breakerWaits: number;
      breakerWaitMs: number;
    }
  | { ok: false; name: string; message: string; attempts: number };

/** @internal The tries of one step or compensation, see {@link runAttempts}. */
export interface AttemptsSpec {
  /** The step id of the first try; later tries, waits and backoffs derive theirs from it. */
  id: string;
  /** Tries in all; refusals waited for are not counted. */
  attempts: number;
  /** Backoff and caps. */
  policy: RetryPolicy | undefined;
  /** Total wait on refusals before a refusal counts as a failed attempt. */
  maxBreakerWaitMs: number;
  work: (attempt: number) => unknown;
  isPermanent: (error: unknown) => boolean;
  /** Before each durable sleep (store the state, send events); the wait is what the saga shows. */
  beforeWait?: (wait: SagaWait) => Promise<void>;
  /** After each durable sleep. */
  afterWait?: (wait: SagaWait) => void;
}

const SECOND = 1_000;

/**
 * @internal Tries `work` as durable steps until it succeeds, fails permanently or spends its
 * attempts, with a durable sleep between tries:
 * - a failed try spends an attempt; the next (`<id>#<n>`) comes after `<id>#backoff-<n-1>`, which
 *   sleeps the delay the error asked for, else the doubling backoff;
 * - a try refused up front (an open circuit breaker) spends nothing while the refusals' waits add
 *   up to at most `maxBreakerWaitMs`: the saga sleeps until the breaker's probe time
 *   (`<id>#breaker-wait-<w>`) and tries the same attempt again as `<id>#wait<w>`. Past that budget
 *   a refusal is a failed try like any other.
 *
 * Every decision reads only memoized step outputs (the delay and the refusal are stored with the
 * try that failed), so a replay walks the same step ids.
 */
export async function runAttempts(step: SagaStepTools, spec: AttemptsSpec): Promise<AttemptsOutcome> {
  const { id, policy } = spec;
  let tryId = id;
  let breakerWaits = 0;
  let breakerWaitMs = 0;
  for (let attempt = 1; ; ) {
    const result = await step.run<AttemptResult>(tryId, () => tryOnce(spec, attempt));
    if (result.ok) return { ...result, attempts: attempt, breakerWaits, breakerWaitMs };
    const failedAt = result.failedAt ?? 0;
    if (!result.permanent && result.refused) {
      // a refusal that names no wait (or asks for none) is tried again after one sleep's resolution
      const delay = Math.max(SECOND, retryDelay(policy, attempt, result.retryAfterMs));
      if (breakerWaitMs + delay <= spec.maxBreakerWaitMs) {
        breakerWaits++;
        breakerWaitMs += delay;
        const sleepId = `${id}#breaker-wait-${breakerWaits}`;
        const wait: SagaWait = {
          stepId: id,
          reason: 'circuit_open',
          ...(result.refused.breaker !== undefined ? { breaker: result.refused.breaker } : {}),
          sleepId,
          until: failedAt + delay,
          attempt,
        };
        await sleep(step, spec, wait, delay);
        tryId = `${id}#wait${breakerWaits}`;
        continue;
      }
    }
    if (result.permanent || attempt >= spec.attempts) {
      return { ok: false, name: result.name, message: result.message, attempts: attempt };
    }
    const delay = retryDelay(policy, attempt, result.retryAfterMs);
    const sleepId = `${id}#backoff-${attempt}`;
    attempt++;
    await sleep(
      step,
      spec,
      { stepId: id, reason: 'retry', sleepId, until: failedAt + delay, attempt },
      delay,
    );
    tryId = `${id}#${attempt}`;
  }
}

async function sleep(step: SagaStepTools, spec: AttemptsSpec, wait: SagaWait, delay: number): Promise<void> {
  await spec.beforeWait?.(wait);
  await step.sleep(wait.sleepId, delay);
  spec.afterWait?.(wait);
}

async function tryOnce(spec: AttemptsSpec, attempt: number): Promise<AttemptResult> {
  const startedAt = Date.now();
  try {
    return { ok: true, value: await spec.work(attempt), startedAt, endedAt: Date.now() };
  } catch (error) {
    const { name, message } = toFailure(error);
    const failedAt = Date.now();
    const refusal = refusalOf(error);
    // the outer error's delay first: the breaker's RetryAfterError adds jitter to the refusal's
    const retryAfterMs = requestedRetryDelay(error, failedAt) ?? refusal?.retryAfterMs;
    return {
      ok: false,
      permanent: spec.isPermanent(error),
      name,
      message,
      retryAfterMs,
      ...(refusal ? { refused: refusal.breaker !== undefined ? { breaker: refusal.breaker } : {} } : {}),
      failedAt,
    };
  }
}
