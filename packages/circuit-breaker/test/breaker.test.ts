import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  CircuitBreakerConfigError,
  CircuitOpenError,
  type CircuitStateChange,
  CircuitTimeoutError,
} from '../src';
import { resolveOptions } from '../src/breaker.options';

function breakerWithClock(options: Parameters<typeof resolveOptions>[1] = {}) {
  const clock = { now: 1_000_000 };
  const changes: CircuitStateChange[] = [];
  const breaker = new CircuitBreaker(
    'test',
    resolveOptions(
      'test',
      {
        slidingWindowSize: 4,
        minimumNumberOfCalls: 4,
        waitDurationInOpenState: 10_000,
        permittedNumberOfCallsInHalfOpenState: 2,
      },
      options,
    ),
    { now: () => clock.now, onStateChange: (change) => changes.push(change) },
  );
  return { breaker, clock, changes };
}

const ok = () => 'ok';
const boom = () => {
  throw new Error('boom');
};
const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error) => error,
  );

describe('transitions', () => {
  it('stays closed until minimumNumberOfCalls, then opens at the failure rate threshold', async () => {
    const { breaker, changes } = breakerWithClock();
    await settle(breaker.execute(boom));
    await settle(breaker.execute(boom));
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    await settle(breaker.execute(ok)); // 4 calls, 50% failures
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ name: 'test', from: 'closed', to: 'open', at: 1_000_000 }]);
  });

  it('does not open below the threshold', async () => {
    const { breaker } = breakerWithClock();
    for (const fn of [boom, ok, ok, ok, ok]) await settle(breaker.execute(fn));
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().stats).toMatchObject({ calls: 4, failures: 0 }); // the window slid past the failure
  });

  it('opens on the slow-call rate', async () => {
    const { breaker, clock } = breakerWithClock({
      slowCallDurationThreshold: 100,
      slowCallRateThreshold: 50,
    });
    const slow = () => {
      clock.now += 150;
      return 'slow';
    };
    for (const fn of [slow, slow, ok, ok]) await breaker.execute(fn);
    expect(breaker.state).toBe('open');
  });

  it('rejects while open with the time left, then half-opens after waitDurationInOpenState', async () => {
    const { breaker, clock } = breakerWithClock();
    for (let i = 0; i < 4; i++) await settle(breaker.execute(boom));
    clock.now += 4_000;
    const rejected = await settle(breaker.execute(ok));
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect(rejected).toMatchObject({ code: 'CIRCUIT_OPEN', breaker: 'test', retryAfterMs: 6_000 });
    expect((rejected as Error).message).toBe(
      'Circuit "test" is open: calls are rejected for another 6000 ms. Retry after that, or use a fallback.',
    );
    clock.now += 6_000;
    await breaker.execute(ok);
    expect(breaker.state).toBe('half_open');
  });

  it('closes when the permitted probes succeed', async () => {
    const { breaker, clock, changes } = breakerWithClock();
    for (let i = 0; i < 4; i++) await settle(breaker.execute(boom));
    clock.now += 10_000;
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens when the probes fail', async () => {
    const { breaker, clock } = breakerWithClock();
    for (let i = 0; i < 4; i++) await settle(breaker.execute(boom));
    clock.now += 10_000;
    await settle(breaker.execute(boom));
    await settle(breaker.execute(boom));
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot().openedAt).toBe(clock.now);
  });

  it('uses a time-based window: old calls fall out', async () => {
    const { breaker, clock } = breakerWithClock({ slidingWindowType: 'time', slidingWindowSize: 10 });
    await settle(breaker.execute(boom));
    await settle(breaker.execute(boom));
    clock.now += 11_000;
    await settle(breaker.execute(boom));
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.snapshot().stats.calls).toBe(3);
    expect(breaker.state).toBe('closed');
  });

  it('does not count errors that isFailure rejects (a card decline is not the gateway failing)', async () => {
    const { breaker } = breakerWithClock({ isFailure: (error) => (error as Error).message !== 'declined' });
    const declined = () => {
      throw new Error('declined');
    };
    for (let i = 0; i < 6; i++) await settle(breaker.execute(declined));
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().stats.calls).toBe(0);
  });

  it('counts every call by outcome, for the metrics to read at scrape time', async () => {
    const { breaker } = breakerWithClock({ isFailure: (error) => (error as Error).message !== 'declined' });
    await breaker.execute(ok);
    await breaker.execute(async () => 'ok');
    await settle(breaker.execute(boom));
    await settle(breaker.execute(() => Promise.reject(new Error('declined'))));
    await breaker.forceOpen();
    await settle(breaker.execute(ok));
    expect(breaker.snapshot().totals).toEqual({
      success: 2,
      failure: 1,
      ignored: 1,
      rejected: 1,
      timeout: 0,
    });
  });

  it('returns what the call returns or throws, sync or async, on the closed path', async () => {
    const { breaker } = breakerWithClock();
    expect(await breaker.execute(ok)).toBe('ok');
    expect(await breaker.execute(async () => 'async ok')).toBe('async ok');
    const thrown = new Error('sync');
    expect(
      await settle(
        breaker.execute(() => {
          throw thrown;
        }),
      ),
    ).toBe(thrown);
    const rejected = new Error('async');
    expect(await settle(breaker.execute(() => Promise.reject(rejected)))).toBe(rejected);
    expect(breaker.state).toBe('open'); // 2 of the 4 calls failed: every outcome was recorded
  });

  it('empties the window on reset, also from closed', async () => {
    const { breaker } = breakerWithClock();
    for (const fn of [boom, boom, boom]) await settle(breaker.execute(fn));
    await breaker.reset();
    await settle(breaker.execute(boom));
    expect(breaker.state).toBe('closed'); // 1 call in the window, not 4
    expect(breaker.snapshot().stats.calls).toBe(1);
  });

  it('can be forced open, forced closed and reset', async () => {
    const { breaker } = breakerWithClock();
    await breaker.forceOpen();
    expect(await settle(breaker.execute(ok))).toMatchObject({ retryAfterMs: -1 });
    await breaker.forceClosed();
    for (let i = 0; i < 6; i++) await settle(breaker.execute(boom));
    expect(breaker.state).toBe('forced_closed');
    await breaker.reset();
    expect(breaker.state).toBe('closed');
  });

  it('answers with the fallback when open or failing', async () => {
    const { breaker } = breakerWithClock();
    expect(await breaker.execute(boom, { fallback: () => 'cached' })).toBe('cached');
    await breaker.forceOpen();
    expect(await breaker.execute(ok, { fallback: (error) => (error as CircuitOpenError).code })).toBe(
      'CIRCUIT_OPEN',
    );
  });

  it('aborts a call after timeoutMs, through its AbortSignal, and counts it as a failure', async () => {
    const { breaker } = breakerWithClock({ timeoutMs: 20 });
    let aborted = false;
    const hanging = (signal?: AbortSignal) =>
      new Promise((resolve) => {
        signal?.addEventListener('abort', () => {
          aborted = true;
          resolve('late');
        });
      });
    const error = await settle(breaker.execute(hanging));
    expect(error).toBeInstanceOf(CircuitTimeoutError);
    expect(aborted).toBe(true);
    expect(breaker.snapshot().stats.failures).toBe(1);
  });
});

describe('half-open under concurrency', () => {
  it('lets exactly the permitted probes through and rejects the rest at once', async () => {
    const { breaker, clock } = breakerWithClock({ permittedNumberOfCallsInHalfOpenState: 3 });
    await breaker.forceOpen();
    await breaker.reset();
    for (let i = 0; i < 4; i++) await settle(breaker.execute(boom));
    clock.now += 10_000;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const probe = async () => {
      started++;
      await gate;
      return 'probe';
    };
    const calls = Array.from({ length: 20 }, () => settle(breaker.execute(probe)));
    const rejections = await Promise.race([
      Promise.all(calls.slice(3)),
      new Promise((resolve) => setTimeout(() => resolve('parked'), 200)),
    ]);
    expect(rejections).not.toBe('parked'); // rejected callers never wait for the probes
    expect((rejections as unknown[]).every((r) => r instanceof CircuitOpenError)).toBe(true);
    expect(started).toBe(3);
    release();
    expect(await Promise.all(calls.slice(0, 3))).toEqual(['ok', 'ok', 'ok']);
    expect(breaker.state).toBe('closed');
  });
});

describe('options', () => {
  it('rejects an unknown option, naming it and the known ones', () => {
    expect(() => resolveOptions('pay', { failureRate: 50 } as never)).toThrow(CircuitBreakerConfigError);
    expect(() => resolveOptions('pay', { failureRate: 50 } as never)).toThrow(
      'Circuit "pay": `failureRate` is not a circuit breaker option',
    );
  });

  it('rejects an out-of-range threshold with the accepted range', () => {
    expect(() => resolveOptions('pay', { failureRateThreshold: 150 })).toThrow(
      'Circuit "pay": `failureRateThreshold` must be a percentage above 0 and at most 100 (got 150).',
    );
  });
});
