// Appends and reads, side by side with Emmett (@event-driven-io/emmett-postgresql), the event store
// a Node user would pick instead, on the same PostgreSQL in the same run; PGlite and memory rows too.
import { randomBytes } from 'node:crypto';
import { dumbo } from '@event-driven-io/dumbo';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import {
  createMemoryEventStore,
  createPGliteEventStore,
  createPostgresEventStore,
  type EventStore,
} from '../src';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const APPENDS = Number(process.env.BENCH_APPENDS ?? 800);
const READS = Number(process.env.BENCH_READS ?? 800);

/** What every contender offers the benchmark. */
interface Contender {
  name: string;
  append(stream: string, events: Array<{ type: string; data: Record<string, unknown> }>): Promise<unknown>;
  readStream(stream: string): Promise<number>;
  readAll(): Promise<number>;
  close(): Promise<void>;
}

function sagaline(name: string, store: EventStore): Contender {
  return {
    name,
    append: (stream, events) => store.appendToStream(stream, events),
    readStream: async (stream) => (await store.readStream(stream)).events.length,
    readAll: async () => {
      let count = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll({ maxCount: 1000, ...(after ? { after } : {}) });
        if (page.events.length === 0) return count;
        count += page.events.length;
        after = page.checkpoint;
      }
    },
    close: () => store.close(),
  };
}

function emmett(url: string): Contender {
  const store = getPostgreSQLEventStore(url);
  const pool = dumbo({ connectionString: url });
  return {
    name: 'Emmett 0.42 (PostgreSQL)',
    append: (stream, events) => store.appendToStream(stream, events),
    readStream: async (stream) => (await store.readStream(stream)).events.length,
    readAll: async () => {
      let count = 0;
      let after = 0n;
      for (;;) {
        const batch = await readMessagesBatch(pool.execute, { after, batchSize: 1000 });
        if (batch.messages.length === 0) return count;
        count += batch.messages.length;
        after = batch.currentGlobalPosition;
      }
    },
    close: async () => {
      await store.close();
      await pool.close();
    },
  };
}

const payload = (n: number) => ({
  type: 'order.placed',
  data: { orderId: `o-${n}`, total: 1999 + n, lines: [{ sku: 'widget', qty: 2 }] },
});

/** Runs `total` operations over `writers` concurrent loops; returns operations per second. */
async function rate(total: number, writers: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function measure(contender: Contender, tag: string) {
  const row: Record<string, number> = {};
  for (const [batch, writers] of [
    [1, 1],
    [1, 16],
    [10, 1],
    [10, 16],
  ] as const) {
    const appends = await rate(APPENDS, writers, (i) =>
      contender.append(
        `${tag}-b${batch}-w${writers}-${i}`,
        Array.from({ length: batch }, (_, n) => payload(n)),
      ),
    );
    row[
      `append ${batch} event${batch > 1 ? 's' : ''}, ${writers} writer${writers > 1 ? 's' : ''} (events/s)`
    ] = appends * batch;
  }
  row['readStream of 10 events (streams/s)'] = await rate(READS, 4, (i) =>
    contender.readStream(`${tag}-b10-w1-${i % APPENDS}`),
  );
  const started = performance.now();
  const events = await contender.readAll();
  row['readAll (events/s)'] = events / ((performance.now() - started) / 1000);
  return row;
}

async function main() {
  const database = `sagaline_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${database}`);
  const results: Array<[string, Record<string, number>]> = [];
  try {
    const contenders: Array<() => Promise<Contender>> = [
      async () =>
        sagaline(
          '@sagaline/event-store (PostgreSQL)',
          await createPostgresEventStore({ connectionString: url, poolConfig: { max: 16 } }),
        ),
      async () => emmett(url),
      async () => sagaline('@sagaline/event-store (PGlite, in memory)', await createPGliteEventStore()),
      async () => sagaline('@sagaline/event-store (memory)', createMemoryEventStore()),
    ];
    for (const [index, make] of contenders.entries()) {
      const contender = await make();
      // Warm-up: schema migration, connection pool, JIT.
      for (let i = 0; i < 50; i++) await contender.append(`warm-${i}`, [payload(i)]);
      results.push([contender.name, await measure(contender, `c${index}`)]);
      await contender.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }

  const metrics = Object.keys(results[0]![1]);
  const ours = results[0]![1];
  const theirs = results[1]![1];
  console.log(
    `\nEvent store throughput (Node ${process.version}, PostgreSQL at 127.0.0.1, ${APPENDS} appends per row)\n`,
  );
  console.log(`| metric | ${results.map(([name]) => name).join(' | ')} | ours / Emmett |`);
  console.log(`| --- | ${results.map(() => '---:').join(' | ')} | ---: |`);
  for (const metric of metrics) {
    const cells = results.map(([, row]) => Math.round(row[metric]!).toLocaleString('en'));
    console.log(`| ${metric} | ${cells.join(' | ')} | ${(ours[metric]! / theirs[metric]!).toFixed(2)}x |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
