import { createMemoryEventStore, EventStore, EventStoreModule } from '@sagaline/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import {
  EventStoreSagaStateStore,
  SAGA_STATE_EVENT,
  SAGA_STATE_STORE,
  type SagaEventStoreLike,
  SagaModule,
  SagaService,
} from '../src';
import { Ledger, LifecycleListener, OrderSaga, sagaState } from './fixtures';

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

    // Each stored state is a progress of its own (replays store nothing again); the last, the end.
    const { events } = await subject.app.get(EventStore).readStream(`saga-${run.id}`);
    expect(events.every((event) => event.type === SAGA_STATE_EVENT)).toBe(true);
    const progress = events.map((event) => event.data as { completedSteps: string[]; status: string });
    const distinct = new Set(progress.map((state) => JSON.stringify([state.status, state.completedSteps])));
    expect(distinct.size).toBe(events.length);
    expect(progress.at(-1)!.status).toBe('completed');
  });

  it('writes a snapshot only when the progress changes, and the run into its business key once', async () => {
    const memory = createMemoryEventStore();
    const appends: string[] = [];
    const counted: SagaEventStoreLike = {
      appendToStream: (streamId, events) => {
        appends.push(streamId);
        return memory.appendToStream(streamId, events);
      },
      readStream: (streamId, options) => memory.readStream(streamId, options),
    };
    const states = new EventStoreSagaStateStore(counted);
    const state = sagaState();
    await states.save(state);
    await states.save({ ...state, updatedAt: 2 }); // a replay of the function: same progress
    expect(appends).toEqual(['saga-run-1', 'saga-order-processing-by-key-o-1']);
    await states.save({ ...state, completedSteps: ['reserve'], updatedAt: 3 });
    expect(appends).toEqual(['saga-run-1', 'saga-order-processing-by-key-o-1', 'saga-run-1']);
    // the next replay passes through the first progress again: no round trip either
    await states.save({ ...state, updatedAt: 4 });
    expect(appends).toHaveLength(3);
    expect((await states.get('run-1'))?.completedSteps).toEqual(['reserve']);
    expect(await states.findByBusinessKey('order-processing', 'o-1')).toHaveLength(1);

    // another process (no memo) saving the same progress stores nothing new
    await new EventStoreSagaStateStore(memory).save({ ...state, completedSteps: ['reserve'] });
    expect((await memory.readStream('saga-run-1')).events).toHaveLength(2);
    expect((await memory.readStream('saga-order-processing-by-key-o-1')).events).toHaveLength(1);
  });
});
