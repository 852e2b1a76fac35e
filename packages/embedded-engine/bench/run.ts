// The engine's cost, each row beside its floor, in one process:
//
// 1. Each extra step: a run of an 11-step function minus a run of a 1-step function, divided by
//    10 (runs one after another), beside one localhost `fetch` round trip to a bare `node:http`
//    server; for a durable store, plus one durable write of a step through the bare driver.
// 2. 10-step runs with 100 in flight: completed runs per second, beside a bare driver that sends
//    the same signed Call Requests to the same serve endpoint with no engine (the SDK's checkpoints
//    answered at once, nothing stored).
//
// Rows: the binding's Nest app on each store (its functions served by Nest's Express adapter; its
// Inngest client, as the binding builds it, reaches the engine through `engine.fetch`), and an app
// with no Nest whose client is given `fetch: engine.fetch` and whose functions are served by
// `inngest/node`. Both send and checkpoint in-process; the engine calls both over loopback HTTP. Every row takes its turn round after round (medians of
// BENCH_ROUNDS), so that a machine that speeds up or slows down weighs on every row alike; CPU
// time (this process, all threads) is printed beside wall time, since this machine is shared.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  INNGEST_EMBEDDED_ENGINE,
  type InngestContext,
  InngestFunction,
  InngestModule,
  InngestService,
} from '@sagaline/nestjs-inngest';
import { Inngest } from 'inngest';
import { serve } from 'inngest/node';
import pg from 'pg';
import { recordSummaryRows, type SummaryRow } from '../../../scripts/bench-summary';
import { EmbeddedEngine, PgliteRunStore, PostgresRunStore, type RunStore } from '../src';
import { signRequestBody } from '../src/security/keys';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEQUENTIAL_RUNS = Number(process.env.BENCH_SEQUENTIAL_RUNS ?? 60);
const CONCURRENT_RUNS = Number(process.env.BENCH_CONCURRENT_RUNS ?? 400);
const IN_FLIGHT = 100;
const LONG_STEPS = 11;
const THROUGHPUT_STEPS = 10;
const ONLY = process.env.BENCH_ONLY; // 'steps' | 'throughput'
const STORES = (
  process.env.BENCH_STORES ?? 'memory,pglite,postgres,memory-in-process,postgres-in-process'
).split(',');
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Targets of the issue this bench answers (per-step ratio to a fetch, runs/s). */
const TARGETS: Record<string, { perStep?: number; runsPerSecond?: number }> = {
  memory: { perStep: 1, runsPerSecond: 150 },
  postgres: { perStep: 1, runsPerSecond: 100 },
  'memory-in-process': { perStep: 1, runsPerSecond: 150 },
  'postgres-in-process': { perStep: 1, runsPerSecond: 100 },
};

const stepNames = (count: number) => Array.from({ length: count }, (_, i) => `step-${i + 1}`);

@Injectable()
class BenchFunctions {
  @InngestFunction({ id: 'one', triggers: { event: 'bench/one' } })
  async one({ step }: InngestContext) {
    return step.run('step-1', () => 1);
  }

  @InngestFunction({ id: 'long', triggers: { event: 'bench/long' } })
  async long({ step }: InngestContext) {
    let total = 0;
    for (const name of stepNames(LONG_STEPS)) total += await step.run(name, () => 1);
    return total;
  }

  @InngestFunction({ id: 'ten', triggers: { event: 'bench/ten' } })
  async ten({ step }: InngestContext) {
    let total = 0;
    for (const name of stepNames(THROUGHPUT_STEPS)) total += await step.run(name, () => 1);
    return total;
  }
}

/** An app under test: where its serve endpoint is, how it sends events, its engine. */
interface Subject {
  url: string;
  send(event: { name: string; data: Record<string, unknown> }): Promise<{ ids: string[] }>;
  engine: EmbeddedEngine;
  close(): Promise<void>;
}

/** The Nest app of the binding, served by Express: its Inngest client reaches the engine through `engine.fetch`. */
async function startApp(store?: RunStore): Promise<Subject> {
  @Module({
    imports: [InngestModule.forRoot({ appId: 'bench', mode: 'embedded', embedded: { store } })],
    providers: [BenchFunctions],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const inngest = app.get(InngestService);
  await inngest.whenSynced();
  return {
    url: `${await app.getUrl()}/api/inngest`,
    send: (event) => inngest.send(event),
    engine: app.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE),
    close: () => app.close(),
  };
}

/**
 * The same functions with no Nest: an Inngest client given `fetch: engine.fetch`, so its events
 * and checkpoints reach the engine in-process, served by `inngest/node`.
 */
async function startInProcessApp(store?: RunStore): Promise<Subject> {
  const engine = await EmbeddedEngine.start({ store });
  const client = new Inngest({
    id: 'bench',
    isDev: false,
    baseUrl: engine.baseUrl,
    signingKey: engine.signingKey,
    eventKey: engine.eventKey,
    fetch: engine.fetch,
    logger: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
  });
  const steps = (id: string, count: number) =>
    client.createFunction({ id, triggers: [{ event: `bench/${id}` }] }, async ({ step }) => {
      let total = 0;
      for (const name of stepNames(count)) total += await step.run(name, () => 1);
      return total;
    });
  const functions = [steps('one', 1), steps('long', LONG_STEPS), steps('ten', THROUGHPUT_STEPS)];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('request', serve({ client, functions, serveOrigin: origin, servePath: '/api/inngest' }));
  await engine.syncApp(`${origin}/api/inngest`);
  return {
    url: `${origin}/api/inngest`,
    send: (event) => client.send(event),
    engine,
    close: async () => {
      await engine.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** One run, from `send()` to its stored completion. */
async function runOnce(subject: Subject, name: string, timeoutMs = 60_000): Promise<void> {
  const { ids } = await subject.send({ name, data: {} });
  const run = await subject.engine.waitForRun({ eventId: ids[0] }, timeoutMs);
  if (run.status !== 'completed') throw new Error(`A bench run ended ${run.status}: ${run.error?.message}`);
}

/** Wall-clock and CPU (this process, all threads) ms per repetition of `task`. */
interface Cost {
  ms: number;
  cpuMs: number;
}

async function measure(repetitions: number, task: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await task();
  const used = process.cpuUsage(cpu);
  return {
    ms: (performance.now() - started) / repetitions,
    cpuMs: (used.user + used.system) / 1000 / repetitions,
  };
}

/** `runs` runs one after another. */
function sequentialRuns(subject: Subject, name: string, runs: number): Promise<Cost> {
  return measure(runs, async () => {
    for (let i = 0; i < runs; i++) await runOnce(subject, name);
  });
}

/** What one more step costs: the long function's mean run minus the one-step function's. */
async function perStep(subject: Subject): Promise<Cost> {
  const long = await sequentialRuns(subject, 'bench/long', SEQUENTIAL_RUNS);
  const one = await sequentialRuns(subject, 'bench/one', SEQUENTIAL_RUNS);
  return {
    ms: (long.ms - one.ms) / (LONG_STEPS - 1),
    cpuMs: (long.cpuMs - one.cpuMs) / (LONG_STEPS - 1),
  };
}

/** `runs` runs with IN_FLIGHT of them in flight. */
function inFlight(runs: number, run: () => Promise<void>): Promise<Cost> {
  let next = 0;
  return measure(runs, async () => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < runs) await run();
      }),
    );
  });
}

/** The per-step floor: a bare `node:http` server answering a small JSON POST, and its mean round trip. */
async function fetchFloor() {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const body = JSON.stringify({
    run_id: randomUUID(),
    steps: [{ id: randomUUID(), op: 'StepRun', data: 1 }],
  });
  return {
    roundTrips(requests: number): Promise<Cost> {
      return measure(requests, async () => {
        for (let i = 0; i < requests; i++) {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          await response.json();
        }
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The per-step floor of a durable store: one write of a step-sized row, straight through the bare
 * driver (`pg`, or PGlite), durable as the store's writes are.
 */
async function writeFloor(kind: 'postgres' | 'pglite', dir: string, schema: string) {
  const step = JSON.stringify({
    id: randomUUID(),
    result: { data: 1 },
    entry: { name: 'step-1', kind: 'run' },
  });
  let query: (text: string, params?: unknown[]) => Promise<unknown>;
  let close: () => Promise<void>;
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    query = (text, params) => client.query(text, params);
    close = () => client.end();
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(join(dir, 'floor'));
    await db.waitReady;
    query = (text, params) => db.query(text, params);
    close = () => db.close();
  }
  await query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await query(`CREATE TABLE IF NOT EXISTS ${schema}.writes (id integer PRIMARY KEY, step text NOT NULL)`);
  let next = 0;
  return {
    writes: (count: number) =>
      measure(count, async () => {
        for (let i = 0; i < count; i++) {
          await query(
            `INSERT INTO ${schema}.writes (id, step) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET step = EXCLUDED.step`,
            [next++ % 1000, step],
          );
        }
      }),
    close: async () => {
      await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await close();
    },
  };
}

/**
 * The throughput floor: the 10-step function's Call Request sent straight to the serve endpoint,
 * signed as the engine signs, with checkpointing as the engine asks for it; the SDK's checkpoints
 * reach the engine for a run it does not know, so they are answered without storing anything.
 */
async function bareRun(subject: Subject): Promise<void> {
  const event = { name: 'bench/ten', data: {}, id: randomUUID(), ts: Date.now() };
  const runId = randomUUID();
  const request = {
    event,
    events: [event],
    steps: {},
    ctx: {
      run_id: runId,
      attempt: 0,
      max_attempts: 5,
      disable_immediate_execution: false,
      use_api: false,
      env: 'embedded',
      stack: { stack: [], current: 0 },
      fn_id: 'bench-ten',
      qi_id: `${runId}:0`,
    },
    version: 2,
  };
  const response = await fetch(`${subject.url}?fnId=bench-ten&stepId=step`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-inngest-signature': signRequestBody(request, subject.engine.signingKey),
    },
    body: JSON.stringify(request),
  });
  const body = await response.text();
  // With checkpointing the SDK answers the end of the run as a `RunComplete` op.
  if (!body.includes('"RunComplete"')) {
    throw new Error(`The bare driver's run answered ${response.status}: ${body}`);
  }
}

/** Bytes of the text parameters of the queries a pool sends: what a store writes (and reads by). */
function countingPool(pool: pg.Pool): { pool: pg.Pool; bytes: () => number } {
  let bytes = 0;
  const query = pool.query.bind(pool) as (text: string, params?: unknown[]) => Promise<unknown>;
  const size = (value: unknown): number =>
    typeof value === 'string'
      ? Buffer.byteLength(value)
      : Array.isArray(value)
        ? value.reduce((sum: number, item) => sum + size(item), 0)
        : 0;
  // A named statement comes as one config object.
  (pool as unknown as { query: typeof query }).query = (text, params) => {
    bytes += size(
      typeof text === 'string' ? (params ?? []) : ((text as { values?: unknown[] }).values ?? []),
    );
    return query(text, params);
  };
  return { pool, bytes: () => bytes };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const medianCost = (costs: Cost[]): Cost => ({
  ms: median(costs.map((cost) => cost.ms)),
  cpuMs: median(costs.map((cost) => cost.cpuMs)),
});
const perSecond = (cost: Cost) => 1000 / cost.ms;

interface Row {
  key: string;
  name: string;
  /** Which bare driver is its floor: the one against the same app. */
  app: 'nest' | 'in-process';
  subject: Subject;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'engine-bench-'));
  const schema = `engine_bench_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const postgresPool = countingPool(new pg.Pool({ connectionString: POSTGRES_URL, max: 10 }));
  const postgres = (suffix: string) => () =>
    PostgresRunStore.create({ pool: postgresPool.pool, schema: `${schema}${suffix}` });
  const makers: Record<
    string,
    Omit<Row, 'key' | 'subject'> & { store: () => Promise<RunStore | undefined> }
  > = {
    memory: { name: 'memory', app: 'nest', store: async () => undefined },
    pglite: {
      name: 'PGlite on disk',
      app: 'nest',
      store: () => PgliteRunStore.create({ dataDir: join(dir, 'engine') }),
    },
    postgres: { name: 'PostgreSQL', app: 'nest', store: postgres('') },
    'memory-in-process': { name: 'memory, `engine.fetch`', app: 'in-process', store: async () => undefined },
    'postgres-in-process': { name: 'PostgreSQL, `engine.fetch`', app: 'in-process', store: postgres('_ip') },
  };
  const postgresBytes: number[] = [];
  const rows: Row[] = [];
  const floor = await fetchFloor();
  const fetchCosts: Cost[] = [];
  const writeFloors = {
    postgres: STORES.some((key) => key.startsWith('postgres'))
      ? await writeFloor('postgres', dir, `${schema}_floor`)
      : undefined,
    pglite: STORES.includes('pglite') ? await writeFloor('pglite', dir, `${schema}_floor`) : undefined,
  };
  const writeCosts = new Map<string, Cost[]>();
  const bareCosts = new Map<string, Cost[]>();
  const stepCosts = new Map<string, Cost[]>();
  const runCosts = new Map<string, Cost[]>();
  const push = (map: Map<string, Cost[]>, key: string, value: Cost) =>
    map.set(key, [...(map.get(key) ?? []), value]);
  try {
    for (const key of STORES) {
      const { store, ...row } = makers[key]!;
      const subject =
        row.app === 'nest' ? await startApp(await store()) : await startInProcessApp(await store());
      for (const event of ['bench/one', 'bench/long', 'bench/ten']) await sequentialRuns(subject, event, 10);
      rows.push({ key, ...row, subject });
    }
    await floor.roundTrips(200); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      if (ONLY !== 'throughput') {
        fetchCosts.push(await floor.roundTrips(SEQUENTIAL_RUNS * 5));
        for (const [kind, writes] of Object.entries(writeFloors)) {
          if (writes) push(writeCosts, kind, await writes.writes(SEQUENTIAL_RUNS * 5));
        }
        for (const { key, subject } of rows) push(stepCosts, key, await perStep(subject));
      }
      if (ONLY !== 'steps') {
        for (const app of ['nest', 'in-process'] as const) {
          const against = rows.find((row) => row.app === app);
          if (against) push(bareCosts, app, await inFlight(CONCURRENT_RUNS, () => bareRun(against.subject)));
        }
        for (const { key, subject } of rows) {
          const bytesBefore = postgresPool.bytes();
          push(runCosts, key, await inFlight(CONCURRENT_RUNS, () => runOnce(subject, 'bench/ten')));
          if (key === 'postgres') postgresBytes.push((postgresPool.bytes() - bytesBefore) / CONCURRENT_RUNS);
        }
      }
    }
  } finally {
    for (const { subject } of rows) await subject.close();
    await floor.close();
    for (const writes of Object.values(writeFloors)) await writes?.close();
    await rm(dir, { recursive: true, force: true });
    for (const suffix of ['', '_ip'])
      await postgresPool.pool.query(`DROP SCHEMA IF EXISTS ${schema}${suffix} CASCADE`);
    await postgresPool.pool.end();
  }
  console.log(
    `\nEmbedded engine beside its floors (Node ${process.version}, ${ROUNDS} interleaved rounds, medians; CPU is this process's, all threads)`,
  );
  console.log(
    'Rows with `engine.fetch`: no Nest, an Inngest client given `fetch: engine.fetch` and functions served by `inngest/node` (the Nest rows reach the engine through `engine.fetch` too, as the binding does).\n',
  );
  const summary: SummaryRow[] = [];
  if (ONLY !== 'throughput') {
    const fetch = medianCost(fetchCosts);
    const write = (key: string) => {
      const kind = key.startsWith('postgres') ? 'postgres' : key.startsWith('pglite') ? 'pglite' : undefined;
      return kind ? medianCost(writeCosts.get(kind)!) : { ms: 0, cpuMs: 0 };
    };
    console.log(
      `Each extra step: (mean ${LONG_STEPS}-step run - mean 1-step run) / ${LONG_STEPS - 1}, ${SEQUENTIAL_RUNS} runs of each one after another.`,
    );
    console.log(
      `Floors: a localhost fetch round trip (${fetch.ms.toFixed(3)} ms, ${fetch.cpuMs.toFixed(3)} CPU ms); for a durable store, plus one durable write of a step through the bare driver (PostgreSQL ${writeCosts.has('postgres') ? medianCost(writeCosts.get('postgres')!).ms.toFixed(3) : '-'} ms, PGlite ${writeCosts.has('pglite') ? medianCost(writeCosts.get('pglite')!).ms.toFixed(3) : '-'} ms).\n`,
    );
    console.log(
      '| row | ms per step | vs fetch | floor ms | vs floor | CPU ms per step | floor CPU ms | CPU vs floor | target (vs fetch) |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const { key, name } of rows) {
      const step = medianCost(stepCosts.get(key)!);
      const floorCost = { ms: fetch.ms + write(key).ms, cpuMs: fetch.cpuMs + write(key).cpuMs };
      const target = TARGETS[key]?.perStep;
      if (target) {
        summary.push({
          source: 'embedded-engine',
          path: `each extra step, ${name}`,
          sagaline: `${step.ms.toFixed(3)} ms`,
          peer: `localhost fetch ${fetch.ms.toFixed(3)} ms${write(key).ms ? `; floor (the fetch and one bare-driver write) ${floorCost.ms.toFixed(3)} ms` : ''}`,
          ratio: `${(step.ms / fetch.ms).toFixed(2)}x a fetch${write(key).ms ? `, ${(step.ms / floorCost.ms).toFixed(2)}x the floor` : ''}`,
          target: `≤ ${target.toFixed(1)}x a fetch`,
          met: step.ms / fetch.ms <= target,
        });
      }
      console.log(
        `| ${name} | ${step.ms.toFixed(3)} | ${(step.ms / fetch.ms).toFixed(2)}x | ${floorCost.ms.toFixed(3)} | ${(step.ms / floorCost.ms).toFixed(2)}x | ${step.cpuMs.toFixed(3)} | ${floorCost.cpuMs.toFixed(3)} | ${(step.cpuMs / floorCost.cpuMs).toFixed(2)}x | ${target ? `<= ${target.toFixed(1)}x` : '-'} |`,
      );
    }
  }
  if (ONLY !== 'steps') {
    console.log(
      `\n${THROUGHPUT_STEPS}-step runs, ${IN_FLIGHT} in flight, ${CONCURRENT_RUNS} runs per round; floor: the bare driver against the same app\n`,
    );
    console.log(
      '| row | runs/s | floor: bare driver runs/s | ratio | CPU ms per run | floor CPU ms | runs per CPU-second | target runs/s |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const { key, name, app } of rows) {
      const run = medianCost(runCosts.get(key)!);
      const bare = medianCost(bareCosts.get(app)!);
      const target = TARGETS[key]?.runsPerSecond;
      if (target) {
        summary.push({
          source: 'embedded-engine',
          path: `${THROUGHPUT_STEPS}-step runs, ${IN_FLIGHT} in flight, ${name}`,
          sagaline: `${perSecond(run).toFixed(0)} runs/s`,
          peer: `bare driver, no engine ${perSecond(bare).toFixed(0)}`,
          ratio: `${(perSecond(run) / perSecond(bare)).toFixed(2)}x the floor`,
          target: `≥ ${target} runs/s`,
          met: perSecond(run) >= target,
        });
      }
      console.log(
        `| ${name} | ${perSecond(run).toFixed(0)} | ${perSecond(bare).toFixed(0)} | ${(perSecond(run) / perSecond(bare)).toFixed(2)}x | ${run.cpuMs.toFixed(2)} | ${bare.cpuMs.toFixed(2)} | ${(1000 / run.cpuMs).toFixed(0)} | ${target ? `>= ${target}` : '-'} |`,
      );
    }
    if (postgresBytes.length > 0) {
      console.log(
        `\nPostgreSQL: ${(median(postgresBytes) / 1024).toFixed(1)} KB of query parameters per ${THROUGHPUT_STEPS}-step run (writes and reads)`,
      );
    }
  }
  recordSummaryRows(summary);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
