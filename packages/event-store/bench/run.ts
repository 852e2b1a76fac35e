// Appends and reads, side by side with Emmett (@event-driven-io/emmett-postgresql), the event store
// a Node user would pick instead, on the same PostgreSQL in the same run; PGlite and memory rows too.
// Subscriptions are measured against their floor: a plain readAll loop over the same log.
// Rounds are interleaved (every contender once per round) and each figure is the median of the rounds,
// so a burst of other work on the machine skews one round, not one contender.
import { randomBytes } from 'node:crypto';
import { dumbo } from '@event-driven-io/dumbo';
import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import {
  createMemoryEventStore,
  createPGliteEventStore,
  createPostgresEventStore,
  type EventStore,
  WrongExpectedVersionError,
} from '../src';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const APPENDS = Number(process.env.BENCH_APPENDS ?? 800);
const READS = Number(process.env.BENCH_READS ?? 800);
const CONTENDED_APPENDS = Number(process.env.BENCH_CONTENDED_APPENDS ?? 400);
const LAG_APPENDS = Number(process.env.BENCH_LAG_APPENDS ?? 1600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRITERS = 16;
const LAG_TARGET_MS = 200;
const DRAIN_TARGET = 30_000;

type NewEvent = { type: string; data: Record<string, unknown> };

/** What every contender offers the benchmark. */
interface Contender {
  name: string;
  append(stream: string, events: NewEvent[]): Promise<unknown>;
  /** The stream's version, reading only the events after `known` (what a command handler reloads). */
  versionAfter(stream: string, known: number): Promise<number>;
  /** Appends expecting the stream at `version`; false when another writer got there first. */
  appendExpecting(stream: string, events: NewEvent[], version: number): Promise<boolean>;
  readStream(stream: string): Promise<number>;
  readAll(): Promise<number>;
  close(): Promise<void>;
  /** Ours only: the store, for the subscription rows. */
  store?: EventStore;
}

function sagaline(name: string, store: EventStore): Contender {
  return {
    name,
    store,
    append: (stream, events) => store.appendToStream(stream, events),
    versionAfter: async (stream, known) => (await store.readStream(stream, { from: known + 1 })).version,
    appendExpecting: async (stream, events, version) => {
      try {
        await store.appendToStream(stream, events, { expectedVersion: version });
        return true;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return false;
        throw error;
      }
    },
    readStream: async (stream) => (await store.readStream(stream)).events.length,
    readAll: async () => {
      let count = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll(after ? { after } : {});
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
    versionAfter: async (stream, known) => {
      const { events, currentStreamVersion } = await store.readStream(stream, { from: BigInt(known + 1) });
      return events.length > 0 ? Number(currentStreamVersion) : known;
    },
    appendExpecting: async (stream, events, version) => {
      try {
        await store.appendToStream(stream, events, { expectedStreamVersion: BigInt(version) });
        return true;
      } catch (error) {
        if (isExpectedVersionConflictError(error)) return false;
        throw error;
      }
    },
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

/**
 * 16 command handlers on one aggregate: each reloads the stream's new events, appends one event
 * expecting the version it saw, and on a conflict reloads and tries again.
 */
async function contended(contender: Contender, stream: string) {
  let appended = 0;
  let attempts = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      let known = 0;
      while (appended < CONTENDED_APPENDS) {
        known = await contender.versionAfter(stream, known);
        attempts++;
        if (await contender.appendExpecting(stream, [payload(attempts)], known)) {
          appended++;
          known++;
        }
      }
    }),
  );
  return {
    rate: appended / ((performance.now() - started) / 1000),
    conflicts: 1 - appended / attempts,
  };
}

type Row = Record<string, number>;

async function measure(contender: Contender, tag: string): Promise<Row> {
  const row: Row = {};
  for (const [batch, writers] of [
    [1, 1],
    [1, WRITERS],
    [10, 1],
    [10, WRITERS],
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
  const hot = await contended(contender, `${tag}-account`);
  row[CONTENDED] = hot.rate;
  row[CONFLICTS] = hot.conflicts;
  row['readStream of 10 events (streams/s)'] = await rate(READS, 4, (i) =>
    contender.readStream(`${tag}-b10-w1-${i % APPENDS}`),
  );
  const started = performance.now();
  const events = await contender.readAll();
  row[READ_ALL] = events / ((performance.now() - started) / 1000);
  if (contender.store) Object.assign(row, await subscriptionRows(contender.store, tag));
  return row;
}

const CONTENDED = 'one contended stream, 16 writers (appends/s)';
const CONFLICTS = 'conflicts';
const READ_ALL = 'readAll (events/s)';
const DRAIN = 'subscription drain, default settings (events/s)';
const LAG = 'subscription lag p99, 16 writers (ms)';

/**
 * A new subscription with default settings catches up with the whole log (the drain), then keeps
 * up while 16 writers append: its lag is the time from an append's commit (its promise resolving)
 * to the handler's call for that event.
 */
async function subscriptionRows(store: EventStore, tag: string): Promise<Row> {
  const committedAt = new Map<string, number>();
  const handledAt = new Map<string, number>();
  let handled = 0;
  const subscription = store.subscribe({
    name: `bench-${tag}`,
    handler: (event) => {
      handled++;
      if (event.streamId.startsWith(`${tag}-lag-`)) handledAt.set(event.id, performance.now());
    },
  });
  const started = performance.now();
  await subscription.waitUntilCaughtUp(600_000);
  const drain = handled / ((performance.now() - started) / 1000);
  await rate(LAG_APPENDS, WRITERS, async (i) => {
    const { events } = await store.appendToStream(`${tag}-lag-${i}`, [payload(i)]);
    committedAt.set(events[0]!.id, performance.now());
  });
  await subscription.waitUntilCaughtUp(600_000);
  await subscription.stop();
  const lags = [...committedAt].map(([id, at]) => Math.max(0, handledAt.get(id)! - at)).sort((a, b) => a - b);
  return { [DRAIN]: drain, [LAG]: lags[Math.ceil(lags.length * 0.99) - 1]! };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const format = (value: number) => Math.round(value).toLocaleString('en');
const ratio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}x`;

async function main() {
  const database = `sagaline_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${database}`);
  const rounds = new Map<string, Row[]>();
  const contenders: Contender[] = [];
  try {
    const pool = new pg.Pool({ connectionString: url, max: WRITERS });
    // The database is dropped at the end; a connection still closing then must not end the run.
    pool.on('error', () => undefined);
    const ours = sagaline('Sagaline (PostgreSQL)', await createPostgresEventStore({ pool }));
    contenders.push(
      {
        ...ours,
        close: async () => {
          await ours.close();
          await pool.end();
        },
      },
      emmett(url),
      sagaline('Sagaline (PGlite, in memory)', await createPGliteEventStore()),
      sagaline('Sagaline (memory)', createMemoryEventStore()),
    );
    for (const contender of contenders) {
      // Warm-up: schema migration, connection pool, JIT.
      for (let i = 0; i < 50; i++) await contender.append(`warm-${i}`, [payload(i)]);
      rounds.set(contender.name, []);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with the next contender, so none is always first after a pause or last.
      for (let turn = 0; turn < contenders.length; turn++) {
        const index = (round + turn) % contenders.length;
        const contender = contenders[index]!;
        rounds.get(contender.name)!.push(await measure(contender, `r${round}-c${index}`));
        console.error(`round ${round + 1}/${ROUNDS}: ${contender.name} measured`);
      }
    }
  } finally {
    for (const contender of contenders) await contender.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }

  const medians = new Map(
    [...rounds].map(([name, rows]) => [
      name,
      Object.fromEntries(
        Object.keys(rows[0]!).map((metric) => [metric, median(rows.map((r) => r[metric]!))]),
      ),
    ]),
  );
  const [ours, theirs, ...others] = [...medians.values()] as [Row, Row, ...Row[]];
  const names = [...medians.keys()];
  const peerMetrics = Object.keys(theirs).filter((metric) => metric !== CONFLICTS);
  console.log(
    `\nEvent store throughput (Node ${process.version}, PostgreSQL at 127.0.0.1; median of ${ROUNDS} interleaved rounds, ${APPENDS} appends per row)\n`,
  );
  const otherNames = names.slice(2);
  console.log(
    `| metric | ${names[0]} | ${names[1]} | Sagaline / Emmett | ${otherNames.join(' | ')} | Sagaline / Emmett each round |`,
  );
  console.log(`| --- | ---: | ---: | ---: | ${otherNames.map(() => '---:').join(' | ')} | --- |`);
  const [ourRounds, theirRounds] = [rounds.get(names[0]!)!, rounds.get(names[1]!)!];
  const cell = (row: Row, metric: string) =>
    metric === CONTENDED
      ? `${format(row[metric]!)} (${Math.round(row[CONFLICTS]! * 100)}% conflicts)`
      : format(row[metric]!);
  for (const metric of peerMetrics) {
    console.log(
      `| ${metric} | ${cell(ours, metric)} | ${cell(theirs, metric)} | ${ratio(ours[metric]!, theirs[metric]!)} | ${others.map((row) => cell(row, metric)).join(' | ')} | ${ourRounds.map((row, round) => ratio(row[metric]!, theirRounds[round]![metric]!)).join(', ')} |`,
    );
  }

  console.log(
    `\nSubscriptions against their floor (same rounds; the floor is a plain readAll loop over the same log)\n`,
  );
  console.log('| metric | adapter | Sagaline | floor or target | ratio | each round |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const [name, row] of medians) {
    if (row[DRAIN] === undefined) continue;
    const perRound = rounds.get(name)!;
    console.log(
      `| ${DRAIN} | ${name} | ${format(row[DRAIN])} | readAll loop ${format(row[READ_ALL]!)} | ${ratio(row[DRAIN], row[READ_ALL]!)} | ${perRound.map((r) => format(r[DRAIN]!)).join(', ')} |`,
    );
  }
  for (const [name, row] of medians) {
    if (row[LAG] === undefined) continue;
    const perRound = rounds.get(name)!;
    console.log(
      `| ${LAG} | ${name} | ${row[LAG].toFixed(1)} | target < ${LAG_TARGET_MS} | ${(row[LAG] / LAG_TARGET_MS).toFixed(2)}x of target | ${perRound.map((r) => r[LAG]!.toFixed(1)).join(', ')} |`,
    );
  }
  console.log(
    `\nTargets: contended stream >= 1.2x Emmett (now ${ratio(ours[CONTENDED]!, theirs[CONTENDED]!)}); drain >= ${format(DRAIN_TARGET)} events/s on PostgreSQL (now ${format(ours[DRAIN]!)}); lag p99 < ${LAG_TARGET_MS} ms (now ${ours[LAG]!.toFixed(1)} ms).`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
