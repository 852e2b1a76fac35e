// The engine's cost: a five-step function run end to end through the real serve endpoint, in both
// protocol modes. "Engine overhead per step" compares each run with a bare driver that sends the
// same Call Requests back to back with no engine at all (the floor any executor pays). A second
// table shows what durability costs: the same runs on the memory store (nothing to store) and on
// the PGlite and PostgreSQL stores, where every transition is stored before the next request.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
import pg from 'pg';
import { type EmbeddedEngine, PgliteRunStore, PostgresRunStore, type RunStore } from '../src';
import { signRequestBody } from '../src/security/keys';

const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const CONCURRENCY = 8;

@Injectable()
class FiveSteps {
  @InngestFunction({ id: 'five', triggers: { event: 'bench/five' } })
  async five({ step }: InngestContext) {
    let total = 0;
    for (const name of ['one', 'two', 'three', 'four', 'five']) total += await step.run(name, () => 1);
    return total;
  }
}

async function startApp(checkpointing: boolean, store?: RunStore) {
  @Module({
    imports: [
      InngestModule.forRoot({ appId: 'bench', mode: 'embedded', embedded: { checkpointing, store } }),
    ],
    providers: [FiveSteps],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  await app.get(InngestService).whenSynced();
  return {
    app,
    url: `${await app.getUrl()}/api/inngest`,
    inngest: app.get(InngestService),
    engine: app.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE),
  };
}

/** Latency of one run from send to completion, runs one after another. */
async function latencies(subject: Awaited<ReturnType<typeof startApp>>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const { ids } = await subject.inngest.send({ name: 'bench/five', data: {} });
    await subject.engine.waitForRun({ eventId: ids[0] });
    times.push(performance.now() - started);
  }
  return times;
}

/** Completed runs per second with CONCURRENCY runs in flight. */
async function throughput(subject: Awaited<ReturnType<typeof startApp>>, runs: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < runs) {
        const { ids } = await subject.inngest.send({ name: 'bench/five', data: {} });
        await subject.engine.waitForRun({ eventId: ids[0] }, 60_000);
      }
    }),
  );
  return runs / ((performance.now() - started) / 1000);
}

/** The floor: the same five steps driven by Call Requests sent back to back, no engine. */
async function bareDriver(url: string, signingKey: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const event = { name: 'bench/five', data: {}, id: randomUUID(), ts: Date.now() };
    const steps: Record<string, unknown> = {};
    for (;;) {
      const request = {
        event,
        events: [event],
        steps,
        ctx: { run_id: event.id, attempt: 0, stack: { stack: Object.keys(steps), current: 0 } },
        version: 2,
      };
      // Signed as the engine signs, so that the floor pays the same verification as the engine's runs.
      const response = await fetch(`${url}?fnId=bench-five&stepId=step`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-inngest-signature': signRequestBody(request, signingKey),
        },
        body: JSON.stringify(request),
      });
      const body = (await response.json()) as Array<{ id: string; data: unknown }>;
      if (response.status === 200) break;
      for (const op of body) steps[op.id] = { data: op.data };
    }
    times.push(performance.now() - started);
  }
  return times;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function main() {
  const rows: string[] = [];
  let floor: number[] = [];
  for (const checkpointing of [true, false]) {
    const subject = await startApp(checkpointing);
    await latencies(subject, 30); // warm-up
    if (!checkpointing)
      floor = (await bareDriver(subject.url, subject.engine.signingKey, RUNS)).sort((a, b) => a - b);
    const times = (await latencies(subject, RUNS)).sort((a, b) => a - b);
    const perSecond = await throughput(subject, RUNS);
    rows.push(
      `| ${checkpointing ? 'checkpointing (default)' : 'one step per request'} | ${perSecond.toFixed(0)} | ${quantile(times, 0.5).toFixed(2)} | ${quantile(times, 0.99).toFixed(2)} | MEAN:${mean(times)} |`,
    );
    await subject.app.close();
  }
  const floorMean = mean(floor);
  console.log(`\nEmbedded engine, five-step function, ${RUNS} runs (Node ${process.version})\n`);
  console.log(
    '| protocol | runs/s (8 in flight) | event→completion p50 ms | p99 ms | engine overhead per step ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const [, runMean] = /MEAN:([\d.]+)/.exec(row)!;
    const overhead = (Number(runMean) - floorMean) / 5;
    console.log(row.replace(/MEAN:[\d.]+/, overhead.toFixed(3)));
  }
  console.log(
    `| bare driver, no engine (floor) | - | ${quantile(floor, 0.5).toFixed(2)} | ${quantile(floor, 0.99).toFixed(2)} | 0 |`,
  );
  console.log('\nOverhead per step = (mean engine run time - mean bare-driver run time) / 5 steps.');
  await durabilityCost();
}

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ROUNDS = 3;

/**
 * Runs/s and latency per store, in one process: the three apps run side by side and take turns,
 * round after round, so that a machine that speeds up or slows down during the run weighs on every
 * store alike. Each figure is the median of its rounds.
 */
async function durabilityCost() {
  const dir = await mkdtemp(join(tmpdir(), 'engine-bench-'));
  const schema = `engine_bench_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const stores: Array<[string, () => Promise<RunStore | undefined>]> = [
    ['memory (not durable)', async () => undefined],
    ['PGlite on disk', () => PgliteRunStore.create({ dataDir: join(dir, 'engine') })],
    ['PostgreSQL', () => PostgresRunStore.create({ connectionString: POSTGRES_URL, schema })],
  ];
  const subjects: Array<{ name: string; subject: Awaited<ReturnType<typeof startApp>> }> = [];
  const rates = new Map<string, number[]>();
  const p50s = new Map<string, number[]>();
  try {
    for (const [name, create] of stores) {
      const subject = await startApp(true, await create());
      await latencies(subject, 30); // warm-up
      subjects.push({ name, subject });
    }
    const perRound = Math.ceil(RUNS / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name, subject } of subjects) {
        const times = (await latencies(subject, perRound)).sort((a, b) => a - b);
        p50s.set(name, [...(p50s.get(name) ?? []), quantile(times, 0.5)]);
        rates.set(name, [...(rates.get(name) ?? []), await throughput(subject, perRound)]);
      }
    }
  } finally {
    for (const { subject } of subjects) await subject.app.close();
    await rm(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [memoryName] = stores[0]!;
  const memoryRate = median(rates.get(memoryName)!);
  const memoryP50 = median(p50s.get(memoryName)!);
  console.log(
    `\nDurability cost, checkpointing, ${ROUNDS} interleaved rounds of ${Math.ceil(RUNS / ROUNDS)} runs per store\n`,
  );
  console.log('| store | runs/s (8 in flight) | vs memory | event→completion p50 ms | vs memory |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name] of stores) {
    const rate = median(rates.get(name)!);
    const p50 = median(p50s.get(name)!);
    console.log(
      `| ${name} | ${rate.toFixed(0)} | ${(rate / memoryRate).toFixed(2)}x | ${p50.toFixed(2)} | ${(p50 / memoryP50).toFixed(2)}x |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
