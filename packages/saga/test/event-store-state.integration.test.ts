import { EventStore, EventStoreModule } from '@sagaline/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import {
  EventStoreSagaStateStore,
  SAGA_STATE_EVENT,
  SAGA_STATE_STORE,
  SagaModule,
  SagaService,
} from '../src';
import { Ledger, LifecycleListener, OrderSaga } from './fixtures';

describe('saga states in the event store, when EventStoreModule is in the app', () => {
  let subject: EmbeddedApp;

  beforeAll(async () => {
    subject = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: new Ledger() }, OrderSaga, LifecycleListener],
      { retryBackoffScale: 0 },
      'shop',
      [EventStoreModule.forRoot({ adapter: { kind: 'pglite' }, isGlobal: true }), SagaModule.forRoot({})],
    );
  });

  afterAll(() => subject?.close());

  it('uses the event store by default and answers queries by run id and business key from it', async () => {
    expect(subject.app.get(SAGA_STATE_STORE)).toBeInstanceOf(EventStoreSagaStateStore);
    const orderId = `o-${Math.random().toString(36).slice(2, 8)}`;
    const { ids } = await subject.inngest.send({ name: 'shop/order.created', data: { orderId } });
    const run = await subject.engine.waitForRun({ eventId: ids[0], functionId: 'order-saga' });
    const sagas = subject.app.get(SagaService);
    const [byKey] = await sagas.findByBusinessKey('order-saga', orderId);
    expect(byKey).toMatchObject({
      runId: run.id,
      status: 'completed',
      completedSteps: ['reserve', 'charge', 'ship'],
    });
    expect(await sagas.getState(run.id)).toEqual(byKey);

    // The function is replayed once per step, and saves its state each time: only progress is stored.
    const { events } = await subject.app.get(EventStore).readStream(`saga-${run.id}`);
    expect(events.every((event) => event.type === SAGA_STATE_EVENT)).toBe(true);
    const progress = events.map((event) => event.data as { completedSteps: string[]; status: string });
    const distinct = new Set(progress.map((state) => JSON.stringify([state.status, state.completedSteps])));
    expect(distinct.size).toBe(events.length);
    expect(progress.at(-1)!.status).toBe('completed');
  });
});
