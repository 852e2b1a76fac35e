import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresRunStore } from '../../embedded-engine/src';
import { startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';
import {
  EngineRunSagaStateStore,
  MemorySagaStateStore,
  SAGA_STATE_STORE,
  SagaModule,
  SagaRegistry,
  SagaService,
  type SagaState,
} from '../src';
import { Ledger, OrderSaga, WaitingSaga } from './fixtures';

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';

/** What a state says about the saga; `updatedAt` is when it was last saved, so it is left out. */
const view = ({ updatedAt: _, ...state }: SagaState) => state;

describe("saga states rebuilt from the embedded engine's run data, on its PostgreSQL store", () => {
  const schema = `saga_runs_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Pool({ connectionString, max: 1 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('answers queries after a restart as the running process did, for every way a saga ends', async () => {
    const ledger = new Ledger();
    const start = async () =>
      startEmbeddedApp(
        'express',
        [{ provide: Ledger, useValue: ledger }, OrderSaga, WaitingSaga],
        { store: await PostgresRunStore.create({ connectionString, schema }), retryBackoffScale: 0 },
        'shop',
        [SagaModule.forRoot({})],
      );
    const first = await start();
    expect(first.app.get(SAGA_STATE_STORE)).toBeInstanceOf(EngineRunSagaStateStore);
    const send = async (name: string, orderId: string) =>
      (await first.inngest.send({ name, data: { orderId } })).ids[0]!;

    ledger.failAt.set('rs-compensated', 'ship');
    const completed = await first.engine.waitForRun({
      eventId: await send('shop/order.created', 'rs-completed'),
      functionId: 'order-saga',
    });
    const compensated = await first.engine.waitForRun({
      eventId: await send('shop/order.created', 'rs-compensated'),
      functionId: 'order-saga',
    });
    const waiting = await first.engine.waitForRun({
      eventId: await send('shop/waiting.created', 'rs-waiting'),
      status: 'running',
    });
    const cancelled = await first.engine.waitForRun({
      eventId: await send('shop/waiting.created', 'rs-cancelled'),
      status: 'running',
    });
    const waits = async (runId: string) =>
      (await first.engine.getRun(runId))?.pending.some((work) => work.kind === 'wait') ?? false;
    await waitFor(async () => (await waits(waiting.id)) && (await waits(cancelled.id)));
    await send('shop/order.cancel', 'rs-cancelled');
    await first.engine.waitForRun({ functionId: 'waiting-saga-cancellation', status: 'completed' });

    const service = first.app.get(SagaService);
    const before = new Map<string, SagaState>();
    for (const run of [completed, compensated, waiting, cancelled])
      before.set(run.id, (await service.getState(run.id))!);
    await first.close();

    const second = await start();
    try {
      // a new process: nothing in memory, everything from the engine's store
      const store = new EngineRunSagaStateStore(
        second.engine,
        'shop',
        second.app.get(SagaRegistry),
        new MemorySagaStateStore(),
      );
      for (const run of [completed, compensated, waiting]) {
        expect(view((await store.get(run.id))!)).toEqual(view(before.get(run.id)!));
      }
      // the wait a cancellation interrupted is no memoized step, so only the steps before it show
      const { startedSteps, ...rest } = view((await store.get(cancelled.id))!);
      expect(startedSteps).toEqual(['reserve']);
      expect(rest).toEqual({ ...view(before.get(cancelled.id)!), startedSteps: undefined });
      expect(before.get(compensated.id)).toMatchObject({
        status: 'compensated',
        compensatedSteps: ['charge', 'reserve'],
        failure: { stepId: 'ship' },
      });
      expect(before.get(cancelled.id)).toMatchObject({ status: 'cancelled', compensatedSteps: ['reserve'] });

      expect(before.get(waiting.id)).toMatchObject({
        status: 'running',
        startedSteps: ['reserve', 'payment'],
        completedSteps: ['reserve'],
        results: { reserve: 'r1' },
      });

      expect((await store.findByBusinessKey('order-saga', 'rs-compensated')).map((s) => s.runId)).toEqual([
        compensated.id,
      ]);
      expect(await store.findByBusinessKey('order-saga', 'nobody')).toEqual([]);
      expect(await store.get('01NOSUCHRUN')).toBeUndefined();
    } finally {
      await second.close();
    }
  });
});
