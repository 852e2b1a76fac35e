// Per-call cost of the breaker beside the floor it is measured against (a bare call, a Redis PING)
// and the breakers a Node user would pick instead (cockatiel, opossum), in one run, with ratios.
//
// Each row is timed as sequential awaited calls in its own loop (no per-iteration timer, which
// would cost more than the breaker). Rows take turns, round after round, and the median round is
// reported, so that a busy machine slows every row alike (the Redis rows take short turns, 41
// rounds of 500 calls, as their cost swings most with the machine's load). In-process rows count the CPU time the
// process used (other processes on a shared machine do not inflate it); rows that wait for Redis
// count wall time, since the round trip is the cost.
import { randomUUID } from 'node:crypto';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { Redis } from 'ioredis';
import Opossum from 'opossum';
import { Registry } from 'prom-client';
import { recordSummaryRows } from '../../../scripts/bench-summary';
import { CircuitBreaker, CircuitBreakerService, RedisCircuitStore } from '../src';
import { resolveOptions } from '../src/breaker.options';

const work = async () => 42;
const nsPerCall = (started: bigint, calls: number) => Number(process.hrtime.bigint() - started) / calls;
const cpuNsPerCall = (started: NodeJS.CpuUsage, calls: number) => {
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / calls;
};

type Loop = (calls: number) => Promise<number>;

async function medians(
  loops: Record<string, Loop>,
  calls: number,
  rounds: number,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const [name, loop] of Object.entries(loops)) {
    samples[name] = [];
    await loop(Math.ceil(calls / 4)); // warm-up
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, loop] of Object.entries(loops)) samples[name]!.push(await loop(calls));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!,
    ]),
  );
}

async function closedPath() {
  const memory = new CircuitBreaker('bench', resolveOptions('bench', {}));
  const service = new CircuitBreakerService({ registry: new Registry() });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  const opossum = new Opossum(work); // its defaults: a 10 s timeout timer per call, rolling stats
  const results = await medians(
    {
      bare: async (calls) => {
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await work();
        return cpuNsPerCall(started, calls);
      },
      memory: async (calls) => {
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await memory.execute(work);
        return cpuNsPerCall(started, calls);
      },
      service: async (calls) => {
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await service.execute('bench', work);
        return cpuNsPerCall(started, calls);
      },
      cockatiel: async (calls) => {
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await cockatiel.execute(work);
        return cpuNsPerCall(started, calls);
      },
      opossum: async (calls) => {
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await opossum.fire();
        return cpuNsPerCall(started, calls);
      },
    },
    200_000,
    9,
  );
  opossum.shutdown();
  await service.onApplicationShutdown();
  return results;
}

async function redisPaths() {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  await redis.ping();
  const keyPrefix = `bench-circuit-${randomUUID()}`;
  const store = new RedisCircuitStore({ redis, keyPrefix });
  const options = resolveOptions('bench', {});
  const shared = new CircuitBreaker('shared', options, { shared: { store, mode: 'shared' } });
  const hybrid = new CircuitBreaker('hybrid', options, { shared: { store, mode: 'hybrid' } });
  const open = new CircuitBreaker('open', options, { shared: { store, mode: 'hybrid' } });
  await Promise.all([shared.ready(), hybrid.ready(), open.ready()]);
  const results = await medians(
    {
      ping: async (calls) => {
        const started = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) await redis.ping();
        return nsPerCall(started, calls);
      },
      shared: async (calls) => {
        const started = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) await shared.execute(work);
        return nsPerCall(started, calls);
      },
    },
    500,
    41,
  );
  const local = await medians(
    {
      hybrid: async (calls) => {
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await hybrid.execute(work);
        return cpuNsPerCall(started, calls);
      },
      rejected: async (calls) => {
        if (open.state !== 'open') await tripThrough(open);
        const started = process.cpuUsage();
        for (let i = 0; i < calls; i++) await open.execute(work).catch(() => undefined);
        return cpuNsPerCall(started, calls);
      },
    },
    20_000,
    9,
  );
  const visibility = await tripVisibility(redis, keyPrefix, 20);
  await Promise.all([shared.close(), hybrid.close(), open.close(), store.close()]);
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  return { times: { ...results, ...local } as Record<string, number>, visibility };
}

/** Fails calls until the breaker trips on its own window (hybrid: a local trip, published). */
async function tripThrough(breaker: CircuitBreaker): Promise<void> {
  while (breaker.state !== 'open')
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
}

/**
 * Two instances of a hybrid breaker, each with its own Redis connections: the time from one
 * tripping to the other seeing it open, over `trials` breakers.
 */
async function tripVisibility(redis: Redis, keyPrefix: string, trials: number): Promise<number[]> {
  const options = resolveOptions('visibility', { slidingWindowSize: 10, minimumNumberOfCalls: 5 });
  const delays: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const name = `visibility-${trial}`;
    const connections = [redis.duplicate(), redis.duplicate()];
    let tripped = 0;
    let seen!: () => void;
    const seenOpen = new Promise<number>((resolve) => {
      seen = () => resolve(performance.now() - tripped);
    });
    const tripping = new CircuitBreaker(name, options, {
      now: Date.now,
      shared: { store: new RedisCircuitStore({ redis: connections[0]!, keyPrefix }), mode: 'hybrid' },
      onStateChange: (change) => {
        if (change.to === 'open') tripped = performance.now();
      },
    });
    const watching = new CircuitBreaker(name, options, {
      now: Date.now,
      shared: { store: new RedisCircuitStore({ redis: connections[1]!, keyPrefix }), mode: 'hybrid' },
      onStateChange: (change) => {
        if (change.to === 'open') seen();
      },
    });
    await Promise.all([tripping.ready(), watching.ready()]);
    await tripThrough(tripping);
    delays.push(await seenOpen);
    await Promise.all([tripping.close(), watching.close()]);
    for (const connection of connections) connection.disconnect();
  }
  return delays.sort((a, b) => a - b);
}

const format = (ns: number) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);

async function main() {
  const closed = await closedPath();
  const over = (ns: number) => ns - closed.bare!;
  const rows: string[][] = [
    [
      'breaker, memory store alone',
      format(closed.memory!),
      `bare call ${format(closed.bare!)}`,
      `+${format(over(closed.memory!))}`,
      '≤ 70 ns over bare',
      over(closed.memory!) <= 70 ? 'yes' : 'no',
    ],
    [
      'breaker through CircuitBreakerService (metrics on)',
      format(closed.service!),
      `bare call ${format(closed.bare!)}`,
      `+${format(over(closed.service!))}`,
      '≤ 100 ns over bare',
      over(closed.service!) <= 100 ? 'yes' : 'no',
    ],
    [
      'breaker through CircuitBreakerService (metrics on)',
      format(closed.service!),
      `cockatiel 3 ConsecutiveBreaker ${format(closed.cockatiel!)}`,
      `${(closed.cockatiel! / closed.service!).toFixed(2)}× faster`,
      '≥ 1.25×',
      closed.cockatiel! / closed.service! >= 1.25 ? 'yes' : 'no',
    ],
    [
      'breaker through CircuitBreakerService (metrics on)',
      format(closed.service!),
      `opossum 9 defaults ${format(closed.opossum!)}`,
      `${(closed.opossum! / closed.service!).toFixed(2)}× faster`,
      '≥ 7×',
      closed.opossum! / closed.service! >= 7 ? 'yes' : 'no',
    ],
  ];

  const { times: redis, visibility } = await redisPaths();
  const p50 = visibility[Math.floor(visibility.length / 2)]!;
  const p99 = visibility[Math.min(visibility.length - 1, Math.ceil(visibility.length * 0.99) - 1)]!;
  rows.push(
    [
      'breaker, Redis shared mode, closed',
      format(redis.shared!),
      `Redis PING ${format(redis.ping!)}`,
      `${(redis.shared! / redis.ping!).toFixed(2)}× a PING`,
      '≤ 1.5× a PING',
      redis.shared! / redis.ping! <= 1.5 ? 'yes' : 'no',
    ],
    [
      'breaker, Redis hybrid mode, closed',
      format(redis.hybrid!),
      `Redis PING ${format(redis.ping!)}`,
      `${(redis.hybrid! / redis.ping!).toFixed(3)}× a PING`,
      'no target',
      '',
    ],
    [
      'breaker, Redis hybrid mode, open (rejected locally)',
      format(redis.rejected!),
      `Redis PING ${format(redis.ping!)}`,
      `${(redis.rejected! / redis.ping!).toFixed(3)}× a PING`,
      'no Redis round trip',
      redis.rejected! < redis.ping! ? 'yes' : 'no',
    ],
    [
      `trip seen by a second instance (hybrid, ${visibility.length} trials)`,
      `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
      'target 100 ms',
      `p99 ${(p99 / 100).toFixed(3)}× the target`,
      '≤ 100 ms p99',
      p99 <= 100 ? 'yes' : 'no',
    ],
  );

  console.log(
    `\n@sagaline/circuit-breaker, Node ${process.version}, median of interleaved rounds (closed path: CPU time; Redis: wall time)\n`,
  );
  console.log('| path | Sagaline | peer or floor | ratio | target | met |');
  console.log('| --- | ---: | ---: | ---: | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  recordSummaryRows(
    rows.map(([path, sagaline, peer, ratio, target, met]) => ({
      source: 'circuit-breaker',
      path: path!,
      sagaline: sagaline!,
      peer: peer!,
      ratio: ratio!,
      target: target === 'no target' ? '-' : target!,
      ...(met ? { met: met === 'yes' } : {}),
    })),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
