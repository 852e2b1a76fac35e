// Closed-path overhead per call, side by side with the breakers a Node user would pick instead
// (opossum, cockatiel) and a bare call, in one run; then the shared stores' throughput.
import { randomUUID } from 'node:crypto';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { Redis } from 'ioredis';
import Opossum from 'opossum';
import { Bench } from 'tinybench';
import { CircuitBreaker, RedisCircuitStore } from '../src';
import { resolveOptions } from '../src/breaker.options';

const work = async () => 42;

async function closedPath() {
  const ours = new CircuitBreaker('bench', resolveOptions('bench', {}));
  const opossum = new Opossum(work, { timeout: false, errorThresholdPercentage: 50, resetTimeout: 30_000 });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });

  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add('bare call', async () => {
      await work();
    })
    .add('@sagaline/circuit-breaker (memory)', async () => {
      await ours.execute(work);
    })
    .add('cockatiel 3', async () => {
      await cockatiel.execute(work);
    })
    .add('opossum 9', async () => {
      await opossum.fire();
    });
  await bench.run();
  opossum.shutdown();
  return bench.tasks.map((task) => ({
    name: task.name,
    hz: (task.result as { throughput: { mean: number } }).throughput.mean,
  }));
}

async function sharedStores() {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, enableOfflineQueue: true });
  await redis.ping();
  const keyPrefix = `bench-circuit-${randomUUID()}`;
  const options = resolveOptions('bench', {});
  const shared = new CircuitBreaker('shared', options, {
    shared: { store: new RedisCircuitStore({ redis, keyPrefix }), mode: 'shared' },
  });
  const hybrid = new CircuitBreaker('hybrid', options, {
    shared: { store: new RedisCircuitStore({ redis, keyPrefix }), mode: 'hybrid' },
  });
  // Sequential calls, timed directly: each shared call waits for Redis, which is the point.
  const perSecond = async (breaker: CircuitBreaker, calls: number) => {
    for (let i = 0; i < 200; i++) await breaker.execute(work);
    const started = performance.now();
    for (let i = 0; i < calls; i++) await breaker.execute(work);
    return calls / ((performance.now() - started) / 1000);
  };
  const rows = [
    {
      name: 'Redis store (shared: a Lua decision per call, outcome recorded asynchronously)',
      hz: await perSecond(shared, 5_000),
    },
    {
      name: 'hybrid store (local decisions, outcomes flushed every 100 ms)',
      hz: await perSecond(hybrid, 200_000),
    },
  ];
  await hybrid.close();
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  return rows;
}

async function main() {
  const closed = await closedPath();
  const bare = closed[0]!.hz;
  const cockatielHz = closed.find((row) => row.name.startsWith('cockatiel'))!.hz;
  const opossumHz = closed.find((row) => row.name.startsWith('opossum'))!.hz;
  const ours = closed[1]!.hz;
  console.log(`\nClosed path, one async call per operation (Node ${process.version})\n`);
  console.log('| implementation | ops/s | ns per call | overhead vs bare ns |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of closed) {
    console.log(
      `| ${row.name} | ${Math.round(row.hz).toLocaleString('en')} | ${(1e9 / row.hz).toFixed(0)} | ${(1e9 / row.hz - 1e9 / bare).toFixed(0)} |`,
    );
  }
  console.log(
    `\nratio ours/cockatiel: ${(ours / cockatielHz).toFixed(2)}x, ours/opossum: ${(ours / opossumHz).toFixed(2)}x (higher is faster)`,
  );

  const stores = await sharedStores();
  console.log('\nShared state against the local Redis\n');
  console.log('| store | calls/s | µs per call |');
  console.log('| --- | ---: | ---: |');
  for (const row of stores)
    console.log(
      `| ${row.name} | ${Math.round(row.hz).toLocaleString('en')} | ${(1e6 / row.hz).toFixed(1)} |`,
    );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
