import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitStateChange,
  RedisCircuitStore,
  type SharedCircuitStore,
  type SharedOutcome,
} from '../src';
import { type CircuitBreakerOptions, resolveOptions } from '../src/breaker.options';
import { CountingStore } from './support/counting-store';
import { waitFor } from './support/wait-for';

// Every test uses its own key prefix, so tests never see each other's state.
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

function redis(port = 6379): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    enableOfflineQueue: port === 6379,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  open.push({ close: () => client.disconnect() });
  return client;
}

function store(keyPrefix: string, client = redis()): RedisCircuitStore {
  const created = new RedisCircuitStore({ redis: client, keyPrefix });
  open.push(created);
  return created;
}

const options = resolveOptions('shared', {
  slidingWindowSize: 10,
  minimumNumberOfCalls: 4,
  waitDurationInOpenState: 300,
  permittedNumberOfCallsInHalfOpenState: 2,
});
const boom = () => {
  throw new Error('boom');
};
const settle = (promise: Promise<unknown>) =>
  promise.then(
    (value) => value,
    (error) => error,
  );

/** One app instance: its own breaker and Redis connections, on the key space of `keyPrefix`. */
async function instance(
  keyPrefix: string,
  mode: 'shared' | 'hybrid',
  {
    flushIntervalMs = 20,
    breakerOptions = options,
    wrap = (shared: SharedCircuitStore) => shared,
  }: {
    flushIntervalMs?: number;
    breakerOptions?: CircuitBreakerOptions;
    wrap?: (shared: SharedCircuitStore) => SharedCircuitStore;
  } = {},
) {
  const changes: CircuitStateChange[] = [];
  const breaker = new CircuitBreaker('gateway', breakerOptions, {
    shared: { store: wrap(store(keyPrefix)), mode, flushIntervalMs },
    onStateChange: (change) => changes.push(change),
    warn: (message) => console.warn(message),
  });
  open.push(breaker);
  await breaker.ready();
  return { breaker, changes };
}

async function twoInstances(mode: 'shared' | 'hybrid', flushIntervalMs?: number) {
  const keyPrefix = `test-circuit-${randomUUID()}`;
  const a = await instance(keyPrefix, mode, { flushIntervalMs });
  const b = await instance(keyPrefix, mode, { flushIntervalMs });
  return [a.breaker, b.breaker, keyPrefix] as const;
}

const outcome = (calls: number, failures: number, epoch = 0): SharedOutcome => ({
  calls,
  failures,
  slow: 0,
  probe: false,
  epoch,
});

describe('the Redis store, against the real Redis at 127.0.0.1:6379', () => {
  it('shares one breaker between two instances: their failures together open it for both', async () => {
    const [a, b] = await twoInstances('shared');
    await settle(a.execute(boom));
    await settle(b.execute(boom));
    await settle(a.execute(boom));
    await settle(b.execute(boom));
    await waitFor(() => a.state === 'open' || b.state === 'open');

    const rejectedOnA = await settle(a.execute(() => 'ok'));
    const rejectedOnB = await settle(b.execute(() => 'ok'));
    expect(rejectedOnA).toBeInstanceOf(CircuitOpenError);
    expect(rejectedOnB).toBeInstanceOf(CircuitOpenError);
    expect((rejectedOnB as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
  });

  it('lets exactly the permitted probes through across instances (probe leases)', async () => {
    const [a, b] = await twoInstances('shared');
    for (let i = 0; i < 4; i++) await settle((i % 2 ? a : b).execute(boom));
    await waitFor(() => a.state === 'open' && b.state === 'open');
    await waitFor(() => Date.now() >= Math.max(a.snapshot().probeAt, b.snapshot().probeAt) + 20);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let probes = 0;
    const probe = async () => {
      probes++;
      await gate;
      return 'ok';
    };
    let settled = 0;
    const calls = Array.from({ length: 10 }, (_, i) =>
      settle((i % 2 ? a : b).execute(probe)).finally(() => settled++),
    );
    await waitFor(() => probes === 2 && settled === 8); // the others are rejected, not parked
    release();
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    const rejected = results.filter((r): r is CircuitOpenError => r instanceof CircuitOpenError);
    expect(rejected).toHaveLength(8);
    // while probes are out, a caller comes back after the open time, not after the whole lease
    for (const rejection of rejected) expect(rejection.retryAfterMs).toBeLessThanOrEqual(300);
    expect(probes).toBe(2);
    await waitFor(() => a.state === 'closed' && b.state === 'closed');
  });

  it('counts calls, not flushes: a batch of 100 successes is 10 calls of a 10-call window', async () => {
    const shared = store(`test-circuit-${randomUUID()}`);
    const window10 = resolveOptions('w', { slidingWindowSize: 10, minimumNumberOfCalls: 10 });
    const closed = await shared.record('w', window10, outcome(100, 0));
    await shared.record('w', window10, outcome(4, 4, closed.epoch)); // 4 of the last 10 failed
    expect((await shared.record('w', window10, outcome(0, 0))).state).toBe('closed');
    const opened = await shared.record('w', window10, outcome(1, 1, closed.epoch)); // 5 of 10
    expect(opened.state).toBe('open');
    expect(opened.epoch).toBeGreaterThan(closed.epoch);
  });

  it('keeps a count window of 100 calls in buckets, judging the last 100 calls', async () => {
    const shared = store(`test-circuit-${randomUUID()}`);
    const window100 = resolveOptions('w', { slidingWindowSize: 100, minimumNumberOfCalls: 100 });
    const { epoch } = await shared.record('w', window100, outcome(0, 0));
    for (let i = 0; i < 3; i++) await shared.record('w', window100, outcome(40, 15, epoch)); // 37.5% failed
    for (let i = 0; i < 10; i++) await shared.record('w', window100, outcome(1, 1, epoch));
    expect((await shared.record('w', window100, outcome(0, 0))).state).toBe('closed'); // about 44%
    for (let i = 0; i < 20; i++) await shared.record('w', window100, outcome(1, 1, epoch));
    expect((await shared.record('w', window100, outcome(0, 0))).state).toBe('open'); // about 56%
  });

  it('keeps a time window in buckets of one second, judging the calls of the last N seconds', async () => {
    const shared = store(`test-circuit-${randomUUID()}`);
    const lastMinute = resolveOptions('w', {
      slidingWindowType: 'time',
      slidingWindowSize: 60,
      minimumNumberOfCalls: 20,
    });
    const { epoch } = await shared.record('w', lastMinute, outcome(0, 0));
    await shared.record('w', lastMinute, outcome(10, 0, epoch));
    await shared.record('w', lastMinute, outcome(9, 9, epoch));
    expect((await shared.record('w', lastMinute, outcome(0, 0))).state).toBe('closed'); // 19 calls: too few
    expect((await shared.record('w', lastMinute, outcome(1, 1, epoch))).state).toBe('open'); // 10 of 20
  });

  it('lets calls older than a time window fall out of it', async () => {
    const client = redis();
    const shared = store(`test-circuit-${randomUUID()}`, client);
    const lastTwoSeconds = resolveOptions('w', {
      slidingWindowType: 'time',
      slidingWindowSize: 2,
      minimumNumberOfCalls: 5,
    });
    const { epoch } = await shared.record('w', lastTwoSeconds, outcome(0, 0));
    await shared.record('w', lastTwoSeconds, outcome(4, 4, epoch));
    const redisSecond = async () => Number((await client.time())[0]);
    const recordedBy = await redisSecond();
    await waitFor(async () => (await redisSecond()) >= recordedBy + 2); // the Redis clock, not a sleep
    const after = await shared.record('w', lastTwoSeconds, outcome(1, 1, epoch));
    expect(after.state).toBe('closed'); // 1 call in the window; the 4 older failures are gone
  });

  it('drops outcomes of calls admitted under an older state', async () => {
    const shared = store(`test-circuit-${randomUUID()}`);
    const window4 = resolveOptions('w', { slidingWindowSize: 4, minimumNumberOfCalls: 4 });
    const before = await shared.force('w', 'reset');
    const after = await shared.force('w', 'reset');
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect((await shared.record('w', window4, outcome(4, 4, before.epoch))).state).toBe('closed');
    expect((await shared.record('w', window4, outcome(4, 4, after.epoch))).state).toBe('open');
  });

  it('hybrid: decides locally and shares outcomes in batches', async () => {
    const [a, b] = await twoInstances('hybrid');
    await settle(a.execute(boom));
    await settle(a.execute(boom));
    await settle(b.execute(boom));
    await settle(b.execute(boom));
    await waitFor(() => a.state === 'open' && b.state === 'open');
    expect(await settle(b.execute(() => 'ok'))).toBeInstanceOf(CircuitOpenError);
  });

  it('hybrid: pushes a local trip to the other instance at once, without waiting for its periodic read', async () => {
    const [a, b] = await twoInstances('hybrid', 60_000);
    for (let i = 0; i < 4; i++) await settle(a.execute(boom)); // a trips on its own window
    expect(a.state).toBe('open');
    await waitFor(() => b.state === 'open');
    expect(await settle(b.execute(() => 'ok'))).toBeInstanceOf(CircuitOpenError);
  });

  it('hybrid: a local trip is never undone by a shared state sent before it', async () => {
    const keyPrefix = `test-circuit-${randomUUID()}`;
    let holding = false;
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => {
      releaseHeld = resolve;
    });
    let answeredWhileHolding = 0;
    let delivered = 0;
    const a = await instance(keyPrefix, 'hybrid', {
      // The race of the bug: a periodic read the store answered "closed" before the trip, whose
      // answer arrives after it.
      wrap: (shared) => ({
        ...bind(shared),
        record: async (name, breakerOptions, recorded) => {
          const answer = await shared.record(name, breakerOptions, recorded);
          if (holding) {
            answeredWhileHolding++;
            await held;
          }
          delivered++;
          return answer;
        },
      }),
    });
    const b = await instance(keyPrefix, 'hybrid');
    for (let i = 0; i < 40; i++) await b.breaker.execute(() => 'ok');
    holding = true;
    await waitFor(() => answeredWhileHolding === 1); // answered "closed", not yet delivered
    for (let i = 0; i < 4; i++) await settle(a.breaker.execute(boom));
    expect(a.breaker.state).toBe('open');
    await waitFor(() => b.breaker.state === 'open');
    holding = false;
    releaseHeld();
    for (let i = 0; i < 40; i++) await settle(b.breaker.execute(() => 'ok')); // b's successes go on
    const deliveredAfterTrip = delivered;
    await waitFor(() => delivered >= deliveredAfterTrip + 3); // a has read the store again since
    expect(a.breaker.state).toBe('open');
    expect(a.changes.map((change) => change.to)).toEqual(['open']);
    expect(b.changes.map((change) => change.to)).toEqual(['open']);
  });

  it('hybrid: while open, rejects locally until the open time ends, then asks the store', async () => {
    const keyPrefix = `test-circuit-${randomUUID()}`;
    let counting!: CountingStore;
    const a = await instance(keyPrefix, 'hybrid', {
      flushIntervalMs: 60_000,
      wrap: (shared) => {
        counting = new CountingStore(shared);
        return counting;
      },
    });
    for (let i = 0; i < 4; i++) await settle(a.breaker.execute(boom));
    await waitFor(() => counting.calls.trip === 1 && a.breaker.snapshot().openedAt > 0);
    const admitsBefore = counting.calls.admit;
    for (let i = 0; i < 50; i++)
      expect(await settle(a.breaker.execute(() => 'ok'))).toBeInstanceOf(CircuitOpenError);
    expect(counting.calls.admit).toBe(admitsBefore);
    await waitFor(() => Date.now() > a.breaker.snapshot().probeAt + 20);
    expect(await a.breaker.execute(() => 'probe')).toBe('probe');
    expect(counting.calls.admit).toBe(admitsBefore + 1);
  });

  it('shared mode: forcing and resetting on one instance reaches the other', async () => {
    const [a, b] = await twoInstances('shared', 60_000);
    await a.forceOpen();
    await waitFor(() => b.state === 'forced_open');
    expect(await settle(b.execute(() => 'ok'))).toMatchObject({ retryAfterMs: -1 });
    await b.reset();
    await waitFor(() => a.state === 'closed');
    expect(await a.execute(() => 'ok')).toBe('ok');
  });

  it('skips a store that does not answer within storeTimeoutMs, deciding locally', async () => {
    const warnings: string[] = [];
    const shared = store(`test-circuit-${randomUUID()}`);
    const breaker = new CircuitBreaker('hanging', options, {
      // A store that accepts the decision but never answers it (a stalled Redis).
      shared: { store: { ...bind(shared), admit: () => new Promise(() => undefined) }, storeTimeoutMs: 50 },
      warn: (message) => warnings.push(message),
    });
    open.push(breaker);
    expect(await breaker.execute(() => 'decided locally')).toBe('decided locally');
    expect(breaker.snapshot().degraded).toBe(true);
    expect(warnings).toEqual([
      'Circuit "hanging": the shared state store is unreachable (no answer within 50 ms); deciding on local state for 5 s.',
    ]);
  });

  it('degrades to local state with a warning when Redis is unreachable, never failing the call because of it', async () => {
    const warnings: string[] = [];
    const breaker = new CircuitBreaker('offline', options, {
      shared: { store: store('offline', redis(6390)), storeTimeoutMs: 100 },
      warn: (message) => warnings.push(message),
    });
    open.push(breaker);
    expect(await breaker.execute(() => 'still works')).toBe('still works');
    expect(breaker.snapshot().degraded).toBe(true);
    expect(warnings[0]).toContain('Circuit "offline": the shared state store is unreachable');
    for (let i = 0; i < 4; i++) await settle(breaker.execute(boom));
    expect(breaker.state).toBe('open'); // local state keeps protecting the service
  });
});

/** The store's methods, bound, so that a test can replace one of them. */
function bind(shared: SharedCircuitStore): SharedCircuitStore {
  return {
    admit: shared.admit.bind(shared),
    record: shared.record.bind(shared),
    trip: shared.trip.bind(shared),
    force: shared.force.bind(shared),
    ...(shared.watch ? { watch: shared.watch.bind(shared) } : {}),
  };
}
