import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, RedisCircuitStore } from '../src';
import { resolveOptions } from '../src/breaker.options';

const clients: Redis[] = [];
function redis(port = 6379): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    enableOfflineQueue: port === 6379,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}
afterAll(async () => {
  for (const client of clients) client.disconnect();
});

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
    (v) => v,
    (error) => error,
  );

/** Two app instances: separate breakers and Redis connections, one shared key space. */
async function twoInstances(mode: 'shared' | 'hybrid' = 'shared') {
  const keyPrefix = `test-circuit-${randomUUID()}`;
  const make = async () => {
    const client = redis();
    await client.ping(); // connected: the store is reachable from the first call
    return new CircuitBreaker('gateway', options, {
      shared: { store: new RedisCircuitStore({ redis: client, keyPrefix }), mode, flushIntervalMs: 20 },
      warn: (message) => console.warn(message),
    });
  };
  return [await make(), await make()] as const;
}

const waitFor = async (condition: () => boolean, timeoutMs = 3000) => {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the Redis store, against the real Redis at 127.0.0.1:6379', () => {
  it('shares one breaker between two instances: their failures together open it for both', async () => {
    const [a, b] = await twoInstances();
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
    const [a, b] = await twoInstances();
    for (let i = 0; i < 4; i++) await settle((i % 2 ? a : b).execute(boom));
    await new Promise((resolve) => setTimeout(resolve, 350));
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
    const calls = Array.from({ length: 10 }, (_, i) => settle((i % 2 ? a : b).execute(probe)));
    await waitFor(() => probes === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(probes).toBe(2);
    release();
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    expect(results.filter((r) => r instanceof CircuitOpenError)).toHaveLength(8);
    await waitFor(() => a.state === 'closed' || b.state === 'closed');
  });

  it('in hybrid mode decides locally and shares outcomes in batches', async () => {
    const [a, b] = await twoInstances('hybrid');
    await settle(a.execute(boom));
    await settle(a.execute(boom));
    await settle(b.execute(boom));
    await settle(b.execute(boom));
    await waitFor(() => a.state === 'open' && b.state === 'open');
    expect(await settle(b.execute(() => 'ok'))).toBeInstanceOf(CircuitOpenError);
    await Promise.all([a.close(), b.close()]);
  });

  it('degrades to local state with a warning when Redis is unreachable, never failing the call because of it', async () => {
    const warnings: string[] = [];
    const breaker = new CircuitBreaker('offline', options, {
      shared: { store: new RedisCircuitStore({ redis: redis(6390) }), storeTimeoutMs: 100 },
      warn: (message) => warnings.push(message),
    });
    expect(await breaker.execute(() => 'still works')).toBe('still works');
    expect(breaker.snapshot().degraded).toBe(true);
    expect(warnings[0]).toContain('Circuit "offline": the shared state store is unreachable');
    for (let i = 0; i < 4; i++) await settle(breaker.execute(boom));
    expect(breaker.state).toBe('open'); // local state keeps protecting the service
  });
});
