// The saga layer's cost: a five-step @Saga against the same five steps written as a plain
// @InngestFunction, both on the embedded engine through the real serve endpoint, in one run.
// With `lifecycleEvents: 'all'` the saga also sends its progress events, so it is compared with
// the plain function sending the same events in one step.sendEvent, as a hand-written one would.
// Then as the example shop runs it: the engine and the event store (where the saga keeps its
// state) on PostgreSQL, and on PGlite, the saga with a business key and compensations.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamicModule, Injectable, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PgliteRunStore, PostgresRunStore } from '@sagaline/embedded-engine';
import { EventStore, EventStoreModule } from '@sagaline/event-store';
import {
  INNGEST_EMBEDDED_ENGINE,
  type InngestContext,
  InngestFunction,
  InngestModule,
  InngestService,
} from '@sagaline/nestjs-inngest';
import { Pool } from 'pg';
import { recordSummaryRows, type SummaryRow } from '../../../scripts/bench-summary';
import {
  Compensate,
  MemorySagaStateStore,
  runSaga,
  Saga,
  type SagaContext,
  type SagaDefinition,
  type SagaLifecycleEvents,
  SagaModule,
  SagaStep,
} from '../src';

const RUNS = Number(process.env.BENCH_RUNS ?? 1000);
/**
 * Which apps run: `memory` (the saga layer alone), then as the shop runs it: `postgres`, `pglite`
 * (on disk) and `pglite-memory` (the shop without a database configured).
 */
const SUITES = new Set((process.env.BENCH_SUITES ?? 'memory,postgres,pglite,pglite-memory').split(','));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STEPS = ['one', 'two', 'three', 'four', 'five'];

@Injectable()
class PlainFunction {
  @InngestFunction({ id: 'plain', triggers: { event: 'bench/plain' } })
  async run({ step }: InngestContext) {
    for (const name of STEPS) await step.run(name, () => name);
    return 'done';
  }
}

@Injectable()
class PlainFunctionWithEvents {
  @InngestFunction({ id: 'plain-events', triggers: { event: 'bench/plain-events' } })
  async run({ step, runId }: InngestContext) {
    for (const name of STEPS) await step.run(name, () => name);
    const data = { sagaId: 'plain-events', runId };
    await step.sendEvent('events', [
      { name: 'saga/started', id: `${runId}:started`, data },
      ...STEPS.map((stepId) => ({
        name: 'saga/step.completed',
        id: `${runId}:${stepId}`,
        data: { ...data, stepId },
      })),
      { name: 'saga/completed', id: `${runId}:completed`, data: { ...data, status: 'completed' } },
    ]);
    return 'done';
  }
}

function sagaClass(id: string, lifecycleEvents: SagaLifecycleEvents) {
  @Saga({ id, trigger: `bench/${id}`, lifecycleEvents })
  class FiveStepSaga {
    @SagaStep('one') one() {
      return 'one';
    }
    @SagaStep('two') two() {
      return 'two';
    }
    @SagaStep('three') three() {
      return 'three';
    }
    @SagaStep('four') four() {
      return 'four';
    }
    @SagaStep('five') five() {
      return 'five';
    }
  }
  return FiveStepSaga;
}

/** An order as the shop's sagas are triggered with: its id (the business key) and its lines. */
const order = (orderId: string) => ({
  orderId,
  tenantId: 'acme',
  items: [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1999 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 4999 },
  ],
  total: 8997,
});
const ORDER_STEPS = ['reserve', 'charge', 'confirm', 'label', 'notify'];
const stepOutput = (name: string, orderId: string) => ({ [`${name}Id`]: `${name}-${orderId}` });

/** The five steps of an order, written by hand. */
@Injectable()
class PlainOrderFunction {
  @InngestFunction({ id: 'plain-order', triggers: { event: 'bench/plain-order' } })
  async run({ step, event }: InngestContext) {
    const { orderId } = event.data as { orderId: string };
    for (const name of ORDER_STEPS) await step.run(name, () => stepOutput(name, orderId));
    return 'done';
  }
}

/**
 * The same five steps, then what the saga stores, appended by hand: the run's end state in a
 * stream of its own and the run in its order's stream, together, once the steps are done. The
 * floor of any saga whose state must outlive the process.
 */
@Injectable()
class PlainOrderFunctionStoringItsState {
  constructor(private readonly events: EventStore) {}

  @InngestFunction({ id: 'plain-order-stored', triggers: { event: 'bench/plain-order-stored' } })
  async run({ step, event, runId }: InngestContext) {
    const { orderId } = event.data as { orderId: string };
    const results: Record<string, unknown> = {};
    for (const name of ORDER_STEPS) results[name] = await step.run(name, () => stepOutput(name, orderId));
    const state = { runId, orderId, status: 'completed', event: event.data, results, updatedAt: Date.now() };
    await Promise.all([
      this.events.appendToStream(`order-state-${runId}`, [
        { id: `order-state:${runId}:completed`, type: 'order.state', data: state },
      ]),
      this.events.appendToStream(`orders-by-key-${orderId}`, [
        { id: `order-run:${runId}`, type: 'order.run', data: { runId } },
      ]),
    ]);
    return 'done';
  }
}

/** The same steps as a saga as the shop writes one: a business key, compensations. */
@Saga({ id: 'order', trigger: 'bench/saga-order', businessKey: 'orderId' })
class OrderSaga {
  @SagaStep('reserve') reserve({ event }: SagaContext<{ orderId: string }>) {
    return stepOutput('reserve', event.data.orderId);
  }
  @Compensate('reserve') release() {}
  @SagaStep('charge') charge({ event }: SagaContext<{ orderId: string }>) {
    return stepOutput('charge', event.data.orderId);
  }
  @Compensate('charge') refund() {}
  @SagaStep('confirm') confirm({ event }: SagaContext<{ orderId: string }>) {
    return stepOutput('confirm', event.data.orderId);
  }
  @SagaStep('label') label({ event }: SagaContext<{ orderId: string }>) {
    return stepOutput('label', event.data.orderId);
  }
  @Compensate('label') voidLabel() {}
  @SagaStep('notify') notify({ event }: SagaContext<{ orderId: string }>) {
    return stepOutput('notify', event.data.orderId);
  }
}

/**
 * The same saga through `runSaga`, its states in memory: what the saga layer costs on a durable
 * engine without the state store's writes.
 */
@Injectable()
class OrderSagaStatesInMemory {
  private readonly states = new MemorySagaStateStore();
  private readonly definition: SagaDefinition<{ orderId: string }> = {
    id: 'order-in-memory',
    businessKey: (event) => String(event.data.orderId),
    steps: ORDER_STEPS.map((name) => ({
      id: name,
      action: { kind: 'run' as const, run: (ctx) => stepOutput(name, ctx.event.data.orderId) },
      ...(['reserve', 'charge', 'label'].includes(name) ? { compensate: () => undefined } : {}),
    })),
  };

  @InngestFunction({ id: 'order-in-memory', triggers: { event: 'bench/saga-order-in-memory' } })
  run(ctx: InngestContext) {
    return runSaga(this.definition, ctx as never, { stateStore: this.states });
  }
}

interface BenchApp {
  send(name: string, data: Record<string, unknown>): Promise<void>;
  /** Event-store appends to the saga's streams so far (0 without an event store). */
  sagaAppends(): number;
  close(): Promise<void>;
}

async function startApp(
  imports: DynamicModule[],
  providers: Provider[],
  embedded: Record<string, unknown> = {},
): Promise<BenchApp> {
  @Module({
    imports: [
      InngestModule.forRoot({ appId: 'bench', mode: 'embedded', isGlobal: true, embedded }),
      ...imports,
      SagaModule.forRoot({}),
    ],
    providers,
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const inngest = app.get(InngestService);
  await inngest.whenSynced();
  const engine = app.get(INNGEST_EMBEDDED_ENGINE);
  let appends = 0;
  if (imports.length > 0) {
    const eventStore = app.get(EventStore, { strict: false });
    const append = eventStore.appendToStream.bind(eventStore);
    eventStore.appendToStream = (streamId, events, options) => {
      if (streamId.startsWith('saga-')) appends++;
      return append(streamId, events, options);
    };
  }
  return {
    async send(name, data) {
      const { ids } = await inngest.send({ name, data });
      const run = await engine.waitForRun({ eventId: ids[0] });
      if (run.status !== 'completed') throw new Error(`${name} run ${run.status}`);
    },
    sagaAppends: () => appends,
    close: () => app.close(),
  };
}

interface Variant {
  label: string;
  app: BenchApp;
  event: string;
  /** Index of the variant it is measured against. */
  against: number;
  /** Counts the saga's event-store writes per run. */
  saga?: boolean;
  /**
   * Its row in `pnpm bench`'s summary: what it measures, the ratio it must stay within, and a
   * second variant it is also measured against.
   */
  summary?: { path: string; target?: number; floor?: number };
}

async function main() {
  const variants: Variant[] = [];
  const closing: Array<() => Promise<void>> = [];
  const add = (
    label: string,
    app: BenchApp,
    event: string,
    against: number,
    saga = false,
    summary?: Variant['summary'],
  ) => variants.push({ label, app, event, against, saga, summary }) - 1;

  if (SUITES.has('memory')) {
    const app = await startApp(
      [],
      [PlainFunction, PlainFunctionWithEvents, sagaClass('saga', 'failures'), sagaClass('saga-all', 'all')],
    );
    closing.push(app.close);
    const plain = add('plain @InngestFunction, 5 step.run', app, 'bench/plain', -1);
    variants[plain]!.against = plain;
    add("@Saga, 5 steps (default lifecycleEvents: 'failures')", app, 'bench/saga', plain, false, {
      path: 'saga, five steps, states in memory',
    });
    const withEvents = add(
      'plain @InngestFunction, 5 step.run + 1 step.sendEvent of 7 events',
      app,
      'bench/plain-events',
      plain,
    );
    add("@Saga, 5 steps, lifecycleEvents: 'all' (7 events)", app, 'bench/saga-all', withEvents);
    // The same function as row 1: how far apart two identical variants land shows this run's noise.
    add('plain @InngestFunction again (A/A control)', app, 'bench/plain', plain);
  }

  const durable: Array<
    [string, () => Promise<[DynamicModule, Record<string, unknown>, () => Promise<void>]>]
  > = [];
  if (SUITES.has('postgres')) {
    durable.push([
      'engine and event store on PostgreSQL',
      async () => {
        const prefix = `saga_bench_${process.pid}`;
        const store = await PostgresRunStore.create({
          connectionString: DATABASE_URL,
          schema: `${prefix}_engine`,
        });
        const events = EventStoreModule.forRoot({
          adapter: { kind: 'postgres', connectionString: DATABASE_URL, schema: `${prefix}_events` },
          isGlobal: true,
        });
        const drop = async () => {
          const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
          await pool.query(`DROP SCHEMA IF EXISTS ${prefix}_engine, ${prefix}_events CASCADE`);
          await pool.end();
        };
        return [events, { store }, drop];
      },
    ]);
  }
  if (SUITES.has('pglite')) {
    durable.push([
      'engine and event store on PGlite on disk',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'saga-bench-'));
        const store = await PgliteRunStore.create({ dataDir: join(dir, 'engine') });
        const events = EventStoreModule.forRoot({
          adapter: { kind: 'pglite', dataDir: join(dir, 'events') },
          isGlobal: true,
        });
        return [events, { store }, async () => rmSync(dir, { recursive: true, force: true })];
      },
    ]);
  }
  if (SUITES.has('pglite-memory')) {
    // The shop without DATABASE_URL or PGLITE_DIR: runs in memory, events in an in-memory PGlite.
    durable.push([
      "engine in memory, event store on PGlite in memory: the shop's default",
      async () => [
        EventStoreModule.forRoot({ adapter: { kind: 'pglite' }, isGlobal: true }),
        {},
        async () => {},
      ],
    ]);
  }
  for (const [name, setUp] of durable) {
    const [events, embedded, tearDown] = await setUp();
    const app = await startApp(
      [events],
      [PlainOrderFunction, PlainOrderFunctionStoringItsState, OrderSaga, OrderSagaStatesInMemory],
      embedded,
    );
    closing.push(async () => {
      await app.close();
      await tearDown();
    });
    const plain = add(`plain @InngestFunction, 5 step.run (${name})`, app, 'bench/plain-order', -1);
    variants[plain]!.against = plain;
    const stored = add(
      `plain @InngestFunction, 5 step.run, its end state and business key appended by hand (${name})`,
      app,
      'bench/plain-order-stored',
      plain,
    );
    add(
      `@Saga, 5 steps, business key, 3 compensations, states in the event store (${name})`,
      app,
      'bench/saga-order',
      plain,
      true,
      { path: `saga on the event-store state store, five steps, ${name}`, target: 1.1, floor: stored },
    );
    add(
      `the same saga, states in memory through runSaga (${name})`,
      app,
      'bench/saga-order-in-memory',
      plain,
    );
    add(`plain @InngestFunction again, A/A control (${name})`, app, 'bench/plain-order', plain);
  }

  let sequence = 0;
  const once = async (variant: Variant) => {
    const started = performance.now();
    await variant.app.send(variant.event, order(`o-${process.pid}-${sequence++}`));
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) for (const variant of variants) await once(variant); // warm-up
  const appendsBefore = variants.map((variant) => variant.app.sagaAppends());
  // Interleaved, so that drift of the machine affects every variant alike, in a new order each
  // round, so that every variant follows every other alike: a run's tail work (the engine's
  // commits, PGlite's file writes) overlaps the next run, and a fixed rotation would always hand
  // one variant's tail to the same other variant.
  const random = seeded(42);
  const times = variants.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const index of shuffled(variants.length, random)) {
      times[index]!.push(await once(variants[index]!));
    }
  }
  const appends = variants.map((variant, index) => variant.app.sagaAppends() - appendsBefore[index]!);
  for (const close of closing) await close();

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const p = (values: number[], q: number) =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  console.log(
    `\nSaga layer overhead, ${RUNS} sequential runs each, embedded engine (Node ${process.version})\n`,
  );
  console.log('| variant | mean ms | p50 ms | p99 ms | vs the plain function it matches |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const means = times.map(mean);
  for (const [index, { label, against, summary }] of variants.entries()) {
    const sorted = times[index]!.sort((a, b) => a - b);
    const floor = summary?.floor;
    const toFloor =
      floor === undefined ? '' : `, ${(means[index]! / means[floor]!).toFixed(3)}x (row ${floor + 1})`;
    console.log(
      `| ${label} | ${means[index]!.toFixed(2)} | ${p(sorted, 0.5).toFixed(2)} | ${p(sorted, 0.99).toFixed(2)} | ${(means[index]! / means[against]!).toFixed(3)}x (row ${against + 1})${toFloor} |`,
    );
  }
  const summary: SummaryRow[] = variants.flatMap(({ summary: row, against }, index) => {
    if (!row) return [];
    const ratio = means[index]! / means[against]!;
    const floor = row.floor === undefined ? undefined : means[row.floor]!;
    return {
      source: 'saga',
      path: row.path,
      sagaline: `${means[index]!.toFixed(2)} ms a run`,
      peer: `plain @InngestFunction ${means[against]!.toFixed(2)} ms${floor ? `; storing the same by hand ${floor.toFixed(2)} ms` : ''}`,
      ratio: `${ratio.toFixed(3)}x the plain function${floor ? `; ${(means[index]! / floor).toFixed(3)}x the hand-stored one` : ''}`,
      target: row.target ? `≤ ${row.target.toFixed(2)}x the plain function` : '-',
      ...(row.target ? { met: ratio <= row.target } : {}),
    };
  });
  recordSummaryRows(summary);
  for (const [index, { label, saga }] of variants.entries()) {
    // only the saga writes to saga-* streams, so the app's appends there are the saga's
    if (saga) console.log(`\n${label}: ${(appends[index]! / RUNS).toFixed(2)} event-store appends per run`);
  }
}

/** Indexes 0..n-1 in random order (Fisher-Yates). */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, index) => index);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** A small seeded PRNG (mulberry32): the same orders on every run of the bench. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
