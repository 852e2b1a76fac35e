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
import { Ledger, OrderSaga, PivotSaga, WaitingSaga } from './fixtures';

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

  it('equal what the running process held, for sagas in every state, after the process is gone', async () => {
    const ledger = new Ledger();
    const app = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: ledger }, OrderSaga, WaitingSaga, PivotSaga],
      { store: await PostgresRunStore.create({ connectionString, schema }), retryBackoffScale: 0 },
      'shop',
      [SagaModule.forRoot({})],
    );
    expect(app.app.get(SAGA_STATE_STORE)).toBeInstanceOf(EngineRunSagaStateStore);
    const send = async (name: string, data: Record<string, unknown>) =>
      (await app.inngest.send({ name, data })).ids[0]!;
    const run = (name: string, orderId: string) =>
      send(name, { orderId }).then((eventId) => app.engine.waitForRun({ eventId }));
    const runUntil = async (name: string, orderId: string, kind: 'wait' | 'sleep') => {
      const eventId = await send(name, { orderId });
      const { id } = await app.engine.waitForRun({ eventId, status: 'running' });
      await waitFor(
        async () => (await app.engine.getRun(id))?.pending.some((work) => work.kind === kind) ?? false,
      );
      return id;
    };

    ledger.failAt.set('compensated', 'ship');
    ledger.failAt.set('compensation-failed', 'ship');
    ledger.failCompensation.set('compensation-failed', 5); // the refund never succeeds
    ledger.failAt.set('stalled', 'ship'); // after the pivot: retried forward, then waits for an operator
    ledger.failAt.set('compensating', 'ship');
    ledger.failCompensation.set('compensating', 1); // the refund fails once, then sleeps before retrying
    const ids = {
      completed: (await run('shop/order.created', 'completed')).id,
      compensated: (await run('shop/order.created', 'compensated')).id,
      compensationFailed: (await run('shop/order.created', 'compensation-failed')).id,
      paid: await runUntil('shop/waiting.created', 'paid', 'wait'),
      waiting: await runUntil('shop/waiting.created', 'waiting', 'wait'),
      cancelled: await runUntil('shop/waiting.created', 'cancelled', 'wait'),
      stalled: await runUntil('shop/pivot.created', 'stalled', 'wait'),
    };
    await send('shop/payment.confirmed', { orderId: 'paid', amount: 42 }); // mapped by the step to 42
    await app.engine.waitForRun({ runId: ids.paid });
    await send('shop/order.cancel', { orderId: 'cancelled' });
    await app.engine.waitForRun({ functionId: 'waiting-saga-cancellation', status: 'completed' });
    const compensating = await runUntil('shop/order.created', 'compensating', 'sleep');

    const service = app.app.get(SagaService);
    const held = new Map<string, SagaState>();
    for (const id of [...Object.values(ids), compensating]) held.set(id, (await service.getState(id))!);
    const registry = app.app.get(SagaRegistry);
    await app.close(); // the process is gone, mid-compensation for one saga

    // what the running process held, for each shape of state
    expect(held.get(ids.completed)).toMatchObject({ status: 'completed' });
    expect(held.get(ids.compensationFailed)).toMatchObject({
      status: 'compensation_failed',
      compensationFailures: [{ stepId: 'charge' }],
    });
    expect(held.get(ids.paid)).toMatchObject({ status: 'completed', results: { payment: 42 } });
    expect(held.get(ids.waiting)).toMatchObject({ status: 'running', startedSteps: ['reserve', 'payment'] });
    expect(held.get(ids.cancelled)).toMatchObject({ status: 'cancelled', compensatedSteps: ['reserve'] });
    expect(held.get(ids.stalled)).toMatchObject({ status: 'running', failure: { stepId: 'ship' } });
    expect(held.get(compensating)).toMatchObject({ status: 'compensating', compensatedSteps: [] });
    expect(held.get(compensating)!.failure).toMatchObject({ stepId: 'ship' });

    // a new process: nothing in memory and no engine running, only the runs in PostgreSQL
    const runs = await PostgresRunStore.create({ connectionString, schema });
    try {
      const store = new EngineRunSagaStateStore(runs, 'shop', registry, new MemorySagaStateStore());
      for (const id of [...Object.values(ids), compensating]) {
        expect(view((await store.get(id))!), id).toEqual(view(held.get(id)!));
      }
      expect((await store.findByBusinessKey('order-saga', 'compensated')).map((s) => s.runId)).toEqual([
        ids.compensated,
      ]);
      expect(await store.findByBusinessKey('order-saga', 'nobody')).toEqual([]);
      expect(await store.get('01NOSUCHRUN')).toBeUndefined();

      // a run that failed outside the saga's steps (here: after its first step) ends as `failed`
      const event = { id: 'evt-failed', name: 'shop/order.created', data: { orderId: 'failed' }, ts: 1 };
      const reserved = { ok: true, value: { reservationId: 'r-failed' }, startedAt: 2, endedAt: 3 };
      await runs.commit({
        events: [],
        runs: [
          {
            head: {
              id: 'run-failed',
              functionId: 'shop-order-saga',
              event,
              events: [event],
              status: 'failed',
              error: { name: 'Error', message: 'the state store was unreachable' },
              createdAt: 1,
              endedAt: 4,
              pending: [],
              forcePlan: false,
            },
            stepsBefore: 0,
            newSteps: [
              {
                id: 'h1',
                result: { data: reserved },
                entry: {
                  id: 'h1',
                  name: 'reserve',
                  kind: 'run',
                  attempts: 1,
                  output: reserved,
                  startedAt: 2,
                  endedAt: 3,
                },
              },
            ],
            eventsChanged: true,
          },
        ],
      });
      expect(await store.get('run-failed')).toMatchObject({
        status: 'failed',
        completedSteps: ['reserve'],
        startedSteps: ['reserve', 'charge'],
        failure: { message: 'the state store was unreachable' },
        updatedAt: 4,
      });
    } finally {
      await runs.close();
    }
  });

  it('prefers the run to a saved state that the run has outlived', async () => {
    const ledger = new Ledger();
    const app = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: ledger }, WaitingSaga],
      { store: await PostgresRunStore.create({ connectionString, schema }), retryBackoffScale: 0 },
      'shop',
      [SagaModule.forRoot({})],
    );
    try {
      const live = new MemorySagaStateStore();
      const store = new EngineRunSagaStateStore(app.engine, 'shop', app.app.get(SagaRegistry), live);
      const { ids } = await app.inngest.send({ name: 'shop/waiting.created', data: { orderId: 'outlived' } });
      const { id } = await app.engine.waitForRun({ eventId: ids[0], status: 'running' });
      await waitFor(
        async () => (await app.engine.getRun(id))?.pending.some((w) => w.kind === 'wait') ?? false,
      );
      await live.save((await app.app.get(SagaService).getState(id))!);

      // the companion's last save goes to the module's store, not to this one
      await app.inngest.send({ name: 'shop/order.cancel', data: { orderId: 'outlived' } });
      await app.engine.waitForRun({ runId: id });
      await app.engine.waitForRun({ functionId: 'waiting-saga-cancellation', eventId: `cancelled-${id}` });

      expect((await live.get(id))?.status).toBe('running');
      expect(await store.get(id)).toMatchObject({
        status: 'cancelled',
        startedSteps: ['reserve', 'payment'],
        compensatedSteps: ['reserve'],
      });
      // a final state rebuilt once is kept, so the next query does not replay the run again
      expect((await live.get(id))?.status).toBe('cancelled');
    } finally {
      await app.close();
    }
  });
});
