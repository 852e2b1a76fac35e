import { Injectable } from '@nestjs/common';
import { RetryAfterError } from 'inngest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../embedded-engine/src';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { Compensate, Saga, type SagaContext, SagaModule, SagaStep } from '../src';
import { runThroughSleeps as runThroughSleepsOf } from './run-through-sleeps';

type Order = { orderId: string };

/** What each step throws, attempt by attempt (made at throw time: some are dated), keyed by `step:orderId`. */
@Injectable()
class FailureScript {
  private readonly scripts = new Map<string, Array<() => unknown>>();
  readonly attempts = new Map<string, number>();

  set(key: string, failures: Array<() => unknown>): void {
    this.scripts.set(key, failures);
  }

  /** Throws the next scripted failure of `key`, or returns once the script is used up. */
  next(key: string): void {
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    const failure = this.scripts.get(key)?.shift();
    if (failure) throw failure();
  }
}

const rateLimited = (retryAfterMs: number) =>
  Object.assign(new Error(`429 Too Many Requests, retry after ${retryAfterMs} ms`), {
    name: 'RateLimitedError',
    retryAfterMs,
  });

@Saga({ id: 'limited-saga', trigger: 'test/limited', businessKey: 'orderId', retries: 0 })
class LimitedSaga {
  constructor(private readonly script: FailureScript) {}

  @SagaStep('charge', { retry: { attempts: 4, backoffMs: 1_000 } })
  charge({ event }: SagaContext<Order>) {
    this.script.next(`charge:${event.data.orderId}`);
    return 'charged';
  }

  @Compensate('charge', { retry: { attempts: 2 } })
  refund({ event }: SagaContext<Order>) {
    this.script.next(`refund:${event.data.orderId}`);
  }

  @SagaStep('ship', { retry: { attempts: 1 } })
  ship({ event }: SagaContext<Order>) {
    this.script.next(`ship:${event.data.orderId}`);
  }
}

@Saga({ id: 'capped-saga', trigger: 'test/capped', businessKey: 'orderId', retries: 0 })
class CappedSaga {
  constructor(private readonly script: FailureScript) {}

  @SagaStep('default-cap', { retry: { attempts: 2 } })
  defaultCap({ event }: SagaContext<Order>) {
    this.script.next(`default-cap:${event.data.orderId}`);
  }

  @SagaStep('own-cap', { retry: { attempts: 2, maxRetryAfterMs: 30_000 } })
  ownCap({ event }: SagaContext<Order>) {
    this.script.next(`own-cap:${event.data.orderId}`);
  }
}

let counter = 0;
const newOrderId = () => `ra${++counter}-${Math.random().toString(36).slice(2, 7)}`;
const aYearFromNow = () => new Date(Date.now() + 365 * 86_400_000);

describe('a retry waits the delay its error asks for, on the embedded engine', () => {
  let subject: EmbeddedApp;
  let clock: ManualClock;
  let script: FailureScript;

  beforeAll(async () => {
    // ahead of the SDK's clock: an event dated after the engine's now would wait for its date
    clock = new ManualClock(Date.now() + 86_400_000);
    script = new FailureScript();
    subject = await startEmbeddedApp(
      'fastify',
      [{ provide: FailureScript, useValue: script }, LimitedSaga, CappedSaga],
      { clock, retryBackoffScale: 0 },
      'shop',
      [SagaModule.forRoot({})],
    );
  });

  afterAll(() => subject?.close());

  const runThroughSleeps = (name: string, orderId: string) =>
    runThroughSleepsOf(subject, clock, name, { orderId });

  it("sleeps for a RetryAfterError's delay, then a retryAfterMs, then the backoff, each an attempt", async () => {
    const orderId = newOrderId();
    script.set(`charge:${orderId}`, [
      () => new RetryAfterError('rate limited', '2m'),
      () => rateLimited(2_500),
      () => new Error('503 Service Unavailable'),
    ]);
    const { run, sleeps } = await runThroughSleeps('test/limited', orderId);

    expect(run.output).toMatchObject({ status: 'completed', completedSteps: ['charge', 'ship'] });
    // 2.5 s is rounded up to whole seconds (Inngest's sleep resolution); the 503 names no delay:
    // the third attempt's doubling backoff, 4 s
    expect(sleeps).toEqual({
      'charge#backoff-1': 120_000,
      'charge#backoff-2': 3_000,
      'charge#backoff-3': 4_000,
    });
    expect(script.attempts.get(`charge:${orderId}`)).toBe(4);
    // the delay is decided inside the failed attempt's durable step, so a replay sleeps the same
    const failed = run.timeline.filter((step) => /^charge(#\d)?$/.test(step.name)).map((step) => step.output);
    expect(failed.slice(0, 3)).toEqual([
      expect.objectContaining({ ok: false, name: 'RetryAfterError', retryAfterMs: 120_000 }),
      expect.objectContaining({ ok: false, name: 'RateLimitedError', retryAfterMs: 2_500 }),
      expect.not.objectContaining({ retryAfterMs: expect.anything() }),
    ]);
  });

  it('counts a delayed retry as an attempt: once they are used up, the saga compensates', async () => {
    const orderId = newOrderId();
    const limited = () => new RetryAfterError('rate limited', '10s');
    script.set(`charge:${orderId}`, [limited, limited, limited, limited]);
    const { run, sleeps } = await runThroughSleeps('test/limited', orderId);

    expect(run.output).toMatchObject({
      status: 'compensated',
      failure: { stepId: 'charge', name: 'RetryAfterError' },
    });
    expect(sleeps).toEqual({
      'charge#backoff-1': 10_000,
      'charge#backoff-2': 10_000,
      'charge#backoff-3': 10_000,
    });
    expect(script.attempts.get(`charge:${orderId}`)).toBe(4);
  });

  it('caps a delay of a year at maxRetryAfterMs: 5 min by default, or the step’s own', async () => {
    const orderId = newOrderId();
    const comeBackNextYear = () => new RetryAfterError('come back next year', aYearFromNow());
    script.set(`default-cap:${orderId}`, [comeBackNextYear]);
    script.set(`own-cap:${orderId}`, [() => rateLimited(365 * 86_400_000)]);
    const { run, sleeps } = await runThroughSleeps('test/capped', orderId);

    expect(run.output).toMatchObject({ status: 'completed' });
    expect(sleeps).toEqual({ 'default-cap#backoff-1': 300_000, 'own-cap#backoff-1': 30_000 });
  });

  it('honours the delay in a compensation’s retries too', async () => {
    const orderId = newOrderId();
    script.set(`ship:${orderId}`, [() => new Error('no carrier')]);
    script.set(`refund:${orderId}`, [() => rateLimited(7_000)]);
    const { run, sleeps } = await runThroughSleeps('test/limited', orderId);

    expect(run.output).toMatchObject({ status: 'compensated', compensatedSteps: ['charge'] });
    expect(sleeps).toEqual({ 'compensate:charge#backoff-1': 7_000 });
    expect(script.attempts.get(`refund:${orderId}`)).toBe(2);
  });
});
