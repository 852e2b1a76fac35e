import { RetryAfterError } from 'inngest';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../circuit-breaker/src/breaker.errors';
import { runSaga, SagaConfigError, type SagaDefinition, SagaDefinitionError } from '../src';
import { refusalOf, requestedRetryDelay, retryDelay } from '../src/retry-delay';

/** A step with `retry` that succeeds. */
const step = (id: string, retry: SagaDefinition['steps'][number]['retry']) => ({
  id,
  retry,
  action: { kind: 'run' as const, run: () => 'done' },
});

const rateLimited = (retryAfterMs: number) =>
  Object.assign(new Error(`429 Too Many Requests (Retry-After ${retryAfterMs} ms)`), {
    name: 'RateLimitedError',
    retryAfterMs,
  });

describe('the delay an error asks for', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it("reads Inngest's RetryAfterError: whole seconds, a duration or a date", () => {
    expect(requestedRetryDelay(new RetryAfterError('limited', 90_000), now)).toBe(90_000);
    expect(requestedRetryDelay(new RetryAfterError('limited', '2m'), now)).toBe(120_000);
    expect(requestedRetryDelay(new RetryAfterError('limited', new Date(now + 45_000)), now)).toBe(45_000);
    // a date already past asks for no wait at all
    expect(requestedRetryDelay(new RetryAfterError('limited', new Date(now - 5_000)), now)).toBe(0);
  });

  it("matches RetryAfterError by name, as another copy of inngest's class fails instanceof", () => {
    const foreign = Object.assign(new Error('limited'), { name: 'RetryAfterError', retryAfter: '30' });
    expect(requestedRetryDelay(foreign, now)).toBe(30_000);
    const dated = { name: 'RetryAfterError', retryAfter: new Date(now + 10_000) };
    expect(requestedRetryDelay(dated, now)).toBe(10_000);
  });

  it('reads a numeric retryAfterMs on any error, and ignores one that names no delay', () => {
    expect(requestedRetryDelay(rateLimited(2_500), now)).toBe(2_500);
    // a forced-open CircuitOpenError says -1: it is not a delay
    expect(requestedRetryDelay(Object.assign(new Error('forced open'), { retryAfterMs: -1 }), now)).toBe(
      undefined,
    );
    expect(requestedRetryDelay(Object.assign(new Error('odd'), { retryAfterMs: Number.NaN }), now)).toBe(
      undefined,
    );
    expect(requestedRetryDelay({ name: 'RetryAfterError', retryAfter: 'whenever' }, now)).toBe(undefined);
    expect(requestedRetryDelay(new Error('plain'), now)).toBe(undefined);
    expect(requestedRetryDelay('a string thrown', now)).toBe(undefined);
  });

  it('is rounded up to whole seconds and capped; without one, the backoff doubles', () => {
    expect(retryDelay({ attempts: 3 }, 1, 2_500)).toBe(3_000);
    expect(retryDelay({ attempts: 3 }, 1, 365 * 86_400_000)).toBe(300_000);
    expect(retryDelay({ attempts: 3, maxRetryAfterMs: 60_000 }, 1, 90_000)).toBe(60_000);
    // a cap that is not whole seconds is rounded up too: the durable sleep would cut 2.5 s to 2 s
    expect(retryDelay({ attempts: 3, maxRetryAfterMs: 2_500 }, 1, 90_000)).toBe(3_000);
    expect(retryDelay({ attempts: 3, backoffMs: 1_000, maxBackoffMs: 5_000 }, 1)).toBe(1_000);
    expect(retryDelay({ attempts: 9, backoffMs: 1_000, maxBackoffMs: 5_000 }, 4)).toBe(5_000);
    expect(retryDelay(undefined, 2)).toBe(2_000);
    // a backoff that is not whole seconds is rounded up, as the durable sleep would cut it
    expect(retryDelay({ attempts: 3, backoffMs: 1_500 }, 1)).toBe(2_000);
  });
});

describe('a refusal up front', () => {
  it("is an open breaker's CircuitOpenError, directly or as the cause of the RetryAfterError it throws in Inngest", () => {
    const open = new CircuitOpenError('gateway', 'open', 4_000);
    expect(refusalOf(open)).toEqual({ breaker: 'gateway', retryAfterMs: 4_000 });
    const inInngest = new RetryAfterError(open.message, 4_400, { cause: open });
    expect(refusalOf(inInngest)).toEqual({ breaker: 'gateway', retryAfterMs: 4_000 });
    // any error following the contract: the code, and a time
    expect(refusalOf(Object.assign(new Error('busy'), { code: 'CIRCUIT_OPEN', retryAfterMs: 0 }))).toEqual({
      retryAfterMs: 0,
    });
  });

  it('is not a forced-open breaker (no time to wait for), nor any other error', () => {
    expect(refusalOf(new CircuitOpenError('gateway', 'forced_open', -1))).toBeUndefined();
    expect(refusalOf(new RetryAfterError('429', 1_000))).toBeUndefined();
    expect(refusalOf(Object.assign(new Error('rate limited'), { retryAfterMs: 1_000 }))).toBeUndefined();
    expect(refusalOf('a string thrown')).toBeUndefined();
  });
});

describe('a retry policy cap', () => {
  it('refuses a maxRetryAfterMs that is not a number of ms, naming the step and the fix', async () => {
    const input = { event: { name: 'unit/start', data: {} }, runId: 'r', logger: console } as never;
    const bad = (maxRetryAfterMs: number) => ({
      id: `bad-cap-${maxRetryAfterMs}`,
      steps: [step('charge', { attempts: 2, maxRetryAfterMs })],
    });
    await expect(runSaga(bad(-1), input)).rejects.toThrow(SagaDefinitionError);
    await expect(runSaga(bad(-1), input)).rejects.toThrow(
      'Saga "bad-cap--1": step "charge": retry.maxRetryAfterMs is -1; use a number of ms, 0 or more (default 300000: 5 min).',
    );
    await expect(runSaga(bad(Number.POSITIVE_INFINITY), input)).rejects.toThrow(
      'retry.maxRetryAfterMs is Infinity',
    );
    const compensation = {
      id: 'bad-compensation-cap',
      steps: [
        {
          ...step('charge', { attempts: 1 }),
          compensate: () => undefined,
          compensation: { retry: { attempts: 2, maxRetryAfterMs: Number.NaN } },
        },
      ],
    };
    await expect(runSaga(compensation, input)).rejects.toThrow(
      'the compensation of step "charge": retry.maxRetryAfterMs is NaN',
    );
  });
});

describe('attempts and retries', () => {
  const input = { event: { name: 'unit/start', data: {} }, runId: 'r', logger: console } as never;

  it('refuses attempts that are not a whole number of 1 or more, and retries under 0, naming them', async () => {
    for (const attempts of [0, 1.5, Number.NaN]) {
      const bad = { id: `attempts-${attempts}`, steps: [step('charge', { attempts })] };
      await expect(runSaga(bad, input)).rejects.toThrow(SagaDefinitionError);
      await expect(runSaga(bad, input)).rejects.toThrow(
        `step "charge": retry.attempts is ${attempts}; use a whole number, 1 or more (1 = no retry).`,
      );
    }
    const retries = { id: 'negative-retries', retries: -1, steps: [step('charge', { attempts: 1 })] };
    await expect(runSaga(retries, input)).rejects.toThrow(
      'Saga "negative-retries": retries is -1; use a whole number, 0 or more',
    );
  });
});

describe('a retry policy backoff', () => {
  const input = { event: { name: 'unit/start', data: {} }, runId: 'r', logger: console } as never;

  it('refuses a backoffMs under 1000, which the durable sleep would silently stretch to 1 s', async () => {
    const bad = { id: 'fast-backoff', steps: [step('charge', { attempts: 2, backoffMs: 500 })] };
    const error = await runSaga(bad, input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SagaConfigError);
    expect(error).toMatchObject({ code: 'SAGA_CONFIG', field: 'retry.backoffMs' });
    expect((error as Error).message).toBe(
      'Saga "fast-backoff": step "charge": retry.backoffMs is 500; use 1000 ms or more: Inngest\'s durable sleeps have a resolution of one second, so a shorter wait would silently last 1 s.',
    );
  });

  it('refuses a maxBackoffMs under 1000 and a maxBreakerWaitMs that is not a duration, naming them', async () => {
    const cap = { id: 'fast-cap', steps: [step('charge', { attempts: 2, maxBackoffMs: 10 })] };
    await expect(runSaga(cap, input)).rejects.toMatchObject({ field: 'retry.maxBackoffMs' });
    const compensation = {
      id: 'bad-breaker-wait',
      steps: [
        {
          ...step('charge', { attempts: 1 }),
          compensate: () => undefined,
          compensation: { retry: { attempts: 2, maxBreakerWaitMs: -5 } },
        },
      ],
    };
    await expect(runSaga(compensation, input)).rejects.toThrow(
      'Saga "bad-breaker-wait": the compensation of step "charge": retry.maxBreakerWaitMs is -5; use a number of ms, 0 or more',
    );
    const sagaLevel = {
      id: 'bad-saga-wait',
      maxBreakerWaitMs: Number.NaN,
      steps: [step('charge', undefined)],
    };
    await expect(runSaga(sagaLevel, input)).rejects.toMatchObject({ field: 'maxBreakerWaitMs' });
  });
});
