// Appends and reads, side by side with Emmett (@event-driven-io/emmett-postgresql), the event store
// a Node user would pick instead, on the same PostgreSQL in the same run; PGlite and memory rows too.
// Subscriptions are measured against their floor: a plain readAll loop over the same log.
// Rounds are interleaved (every contender once per round) and each figure is the median of the rounds,
// so a burst of other work on the machine skews one round, not one contender.
import pg from 'pg';
import { recordSummaryRows } from '../../../scripts/bench-summary';
import {
  createMemoryEventStore,
  createPGliteEventStore,
  createPostgresEventStore,
  type EventStore,
} from '../src';
import { benchDatabase, type Contender, emmett, median, payload, rate, sagaline } from './contenders';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const APPENDS = Number(process.env.BENCH_APPENDS ?? 800);
const READS = Number(process.env.BENCH_READS ?? 800);
const CONTENDED_APPENDS = Number(process.env.BENCH_CONTENDED_APPENDS ?? 400);
const LAG_APPENDS = Number(process.env.BENCH_LAG_APPENDS ?? 1600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRITERS = 16;
const LAG_TARGET_MS = 200;
const DRAIN_TARGET = 30_000;

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

const format = (value: number) => Math.round(value).toLocaleString('en');
const ratio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}x`;

async function main() {
  const { url, drop } = await benchDatabase(ADMIN_URL, 'sagaline_bench');
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
    await drop();
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
  recordSummaryRows([
    {
      source: 'event-store',
      path: `${CONTENDED.replace(' (appends/s)', '')}, PostgreSQL`,
      sagaline: `${format(ours[CONTENDED]!)} appends/s`,
      peer: `${names[1]} ${format(theirs[CONTENDED]!)}`,
      ratio: `${ratio(ours[CONTENDED]!, theirs[CONTENDED]!)} Emmett's rate`,
      target: '≥ 1.2x Emmett',
      met: ours[CONTENDED]! / theirs[CONTENDED]! >= 1.2,
    },
    ...peerMetrics
      .filter((metric) => metric !== CONTENDED)
      .map((metric) => ({
        source: 'event-store',
        path: `${metric.replace(/ \(.*\)$/, '')}, PostgreSQL`,
        sagaline: `${format(ours[metric]!)} ${/\(([^)]*)\)$/.exec(metric)?.[1] ?? ''}`,
        peer: `${names[1]} ${format(theirs[metric]!)}`,
        ratio: `${ratio(ours[metric]!, theirs[metric]!)} Emmett's rate`,
        target: '-',
      })),
    {
      source: 'event-store',
      path: 'subscription drain, default settings, PostgreSQL',
      sagaline: `${format(ours[DRAIN]!)} events/s`,
      peer: `plain readAll loop ${format(ours[READ_ALL]!)}`,
      ratio: `${ratio(ours[DRAIN]!, ours[READ_ALL]!)} the floor's rate`,
      target: `≥ ${format(DRAIN_TARGET)} events/s`,
      met: ours[DRAIN]! >= DRAIN_TARGET,
    },
    {
      source: 'event-store',
      path: 'subscription lag p99, 16 writers, PostgreSQL',
      sagaline: `${ours[LAG]!.toFixed(1)} ms`,
      peer: '-',
      ratio: `${(ours[LAG]! / LAG_TARGET_MS).toFixed(2)}x the target`,
      target: `< ${LAG_TARGET_MS} ms`,
      met: ours[LAG]! < LAG_TARGET_MS,
    },
  ]);
  console.log(
    `\nTargets: contended stream >= 1.2x Emmett (now ${ratio(ours[CONTENDED]!, theirs[CONTENDED]!)}); drain >= ${format(DRAIN_TARGET)} events/s on PostgreSQL (now ${format(ours[DRAIN]!)}); lag p99 < ${LAG_TARGET_MS} ms (now ${ours[LAG]!.toFixed(1)} ms).`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
