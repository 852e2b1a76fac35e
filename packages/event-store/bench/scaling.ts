// How append throughput grows with the work, ours beside Emmett on the same PostgreSQL: events per
// append (one writer) and concurrent writers (one event per append, each writer on its own
// streams). Both stores get a pool of the same size. Rounds are interleaved and each point is the
// median of the rounds. Prints both curves as tables and writes them as an SVG for the guide.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { createPostgresEventStore } from '../src';
import { benchDatabase, type Contender, emmett, median, payload, rate, sagaline } from './contenders';
import { lineChartsSvg } from './svg-chart';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EVENTS_PER_POINT = Number(process.env.BENCH_EVENTS ?? 10000);
const APPENDS_PER_WRITERS_POINT = Number(process.env.BENCH_APPENDS ?? 800);
const POOL_SIZE = 32;
const SVG_PATH = process.argv[2];

/** One curve: how a contender's append rate moves along `xs`. */
interface Curve {
  title: string;
  /** The table's heading, with how much work each point measures. */
  heading: string;
  xLabel: string;
  xs: number[];
  measure(contender: Contender, x: number, tag: string): Promise<number>;
  /** Each contender's rates, by point, one per round. */
  rounds: Map<string, number[][]>;
}

const CURVES: Curve[] = [
  {
    title: 'Events per append, 1 writer',
    heading: `Events per append, 1 writer (about ${EVENTS_PER_POINT} events per point)`,
    xLabel: 'events per append',
    xs: [1, 2, 5, 10, 20, 50, 100],
    measure: async (contender, batch, tag) => {
      const appends = Math.max(20, Math.round(EVENTS_PER_POINT / batch));
      const events = Array.from({ length: batch }, (_, n) => payload(n));
      return batch * (await rate(appends, 1, (i) => contender.append(`${tag}-${i}`, events)));
    },
    rounds: new Map(),
  },
  {
    title: 'Writers, 1 event per append',
    heading: `Concurrent writers, 1 event per append (${APPENDS_PER_WRITERS_POINT} appends per point)`,
    xLabel: 'concurrent writers',
    xs: [1, 2, 4, 8, 16, 32],
    measure: (contender, writers, tag) =>
      rate(APPENDS_PER_WRITERS_POINT, writers, (i) => contender.append(`${tag}-${i}`, [payload(i)])),
    rounds: new Map(),
  },
];

function record(curve: Curve, name: string, point: number, value: number) {
  const points = curve.rounds.get(name) ?? curve.rounds.set(name, []).get(name)!;
  const values = points[point] ?? [];
  points[point] = values;
  values.push(value);
}

/** Each contender's median rate at each point of the curve. */
const medians = (curve: Curve) =>
  [...curve.rounds].map(([name, points]) => ({ name, ys: points.map(median) }));

function table(curve: Curve): string[] {
  const [ours, theirs] = medians(curve) as [{ name: string; ys: number[] }, { name: string; ys: number[] }];
  const cell = (value: number) => Math.round(value).toLocaleString('en');
  return [
    `\n${curve.heading}\n`,
    `| ${curve.xLabel} | ${ours.name} (events/s) | ${theirs.name} (events/s) | ratio |`,
    '| ---: | ---: | ---: | ---: |',
    ...curve.xs.map(
      (x, i) =>
        `| ${x} | ${cell(ours.ys[i]!)} | ${cell(theirs.ys[i]!)} | ${(ours.ys[i]! / theirs.ys[i]!).toFixed(2)}x |`,
    ),
  ];
}

async function main() {
  const { url, drop } = await benchDatabase(ADMIN_URL, 'sagaline_scaling');
  const pools = [
    new pg.Pool({ connectionString: url, max: POOL_SIZE }),
    new pg.Pool({ connectionString: url, max: POOL_SIZE }),
  ];
  // The database is dropped at the end; a connection still closing then must not end the run.
  for (const pool of pools) pool.on('error', () => undefined);
  const contenders: Contender[] = [];
  try {
    contenders.push(
      sagaline('Sagaline', await createPostgresEventStore({ pool: pools[0]! })),
      emmett(url, pools[1]!),
    );
    for (const contender of contenders) {
      for (let i = 0; i < 50; i++) await contender.append(`warm-${i}`, [payload(i)]);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with the other contender, so neither is always first.
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const [index, curve] of CURVES.entries()) {
        for (const [point, x] of curve.xs.entries()) {
          for (const contender of order) {
            const tag = `r${round}-c${index}-${x}-${contender.name}`;
            record(curve, contender.name, point, await curve.measure(contender, x, tag));
          }
        }
      }
      console.error(`round ${round + 1}/${ROUNDS} measured`);
    }
  } finally {
    for (const contender of contenders) await contender.close();
    for (const pool of pools) await pool.end();
    await drop();
  }

  console.log(
    `\nEvent store appends as the work grows (Node ${process.version}, PostgreSQL at 127.0.0.1, pools of ${POOL_SIZE} for both; median of ${ROUNDS} interleaved rounds)`,
  );
  console.log(CURVES.flatMap(table).join('\n'));

  if (SVG_PATH) {
    const colors = ['#2563eb', '#d97706'];
    const svg = lineChartsSvg(
      CURVES.map((curve) => ({
        title: curve.title,
        xLabel: curve.xLabel,
        yLabel: 'events/s',
        xs: curve.xs,
        series: medians(curve).map((series, i) => ({ ...series, color: colors[i]! })),
      })),
      `Sagaline vs Emmett 0.42 on PostgreSQL, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, median of ${ROUNDS} rounds`,
    );
    writeFileSync(SVG_PATH, svg);
    console.log(`\nwrote ${SVG_PATH}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
