import { createMemoryEventStore, EventStore, EventStoreModule } from '@sagaline/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';
import { EventStoreSagaStateStore, SagaConfigError, SagaModule, SagaService, type SagaState } from '../src';
import { Ledger, OrderSaga, PivotSaga, sagaState, WaitingSaga } from './fixtures';

/** Longer than any test: only what the saga must store now is stored, never the timer's write. */
const NEVER = 600_000;

let counter = 0;
const newOrderId = () => `w${++counter}-${Math.random().toString(36).slice(2, 7)}`;

const state = sagaState;

describe('when the event store is written: a running saga as it goes, a saga that waits, fails or ends at once', () => {
  let subject: EmbeddedApp;
  let ledger: Ledger;
  let events: EventStore;
  /** What another process reads: the event store alone, none of this process's deferred states. */
  let elsewhere: EventStoreSagaStateStore;

  beforeAll(async () => {
    ledger = new Ledger();
    subject = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: ledger }, OrderSaga, PivotSaga, WaitingSaga],
      { retryBackoffScale: 0 },
      'shop',
      [
        EventStoreModule.forRoot({ adapter: { kind: 'pglite' }, isGlobal: true }),
        SagaModule.forRootAsync({
          inject: [EventStore],
          useFactory: (store: EventStore) => ({
            stateStore: new EventStoreSagaStateStore(store, { progressWriteDelayMs: NEVER }),
          }),
        }),
      ],
    );
    events = subject.app.get(EventStore);
    elsewhere = new EventStoreSagaStateStore(events);
  });

  afterAll(() => subject?.close());

  const snapshots = async (runId: string) =>
    (await events.readStream(`saga-${runId}`)).events.map((event) => event.data as SagaState);

  it('a saga whose steps follow each other is written once, when it ends, with its run in its business key stream', async () => {
    const orderId = newOrderId();
    const { ids } = await subject.inngest.send({ name: 'shop/order.created', data: { orderId } });
    const run = await subject.engine.waitForRun({ eventId: ids[0], functionId: 'order-saga' });
    expect(run.status).toBe('completed');

    const stored = await snapshots(run.id);
    expect(stored.map((s) => [s.status, s.completedSteps])).toEqual([
      ['completed', ['reserve', 'charge', 'ship']],
    ]);
    const [byKey] = await elsewhere.findByBusinessKey('order-saga', orderId);
    expect(byKey).toMatchObject({ runId: run.id, status: 'completed' });
  });

  it('a saga that waits for an event is stored before it waits, so another process sees where it is', async () => {
    const orderId = newOrderId();
    const { ids } = await subject.inngest.send({ name: 'shop/waiting.created', data: { orderId } });
    const running = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await elsewhere.get(running.id))?.startedSteps.includes('payment') ?? false);
    expect(await elsewhere.get(running.id)).toMatchObject({
      status: 'running',
      startedSteps: ['reserve', 'payment'],
      completedSteps: ['reserve'],
      results: { reserve: 'r1' },
    });

    await waitFor(async () => (await subject.engine.getRun(running.id))?.pending[0]?.kind === 'wait');
    await subject.inngest.send({ name: 'shop/payment.confirmed', data: { orderId, amount: 42 } });
    expect((await subject.engine.waitForRun({ runId: running.id })).status).toBe('completed');
    expect((await snapshots(running.id)).map((s) => s.status)).toEqual(['running', 'completed']);
  });

  it('a compensation that waits to try again is stored with its wait and the compensations done before it', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'ship');
    ledger.failCompensation.set(orderId, 1); // the refund fails once, then waits for its backoff
    const { ids } = await subject.inngest.send({ name: 'shop/order.created', data: { orderId } });
    const run = await subject.engine.waitForRun({ eventId: ids[0], functionId: 'order-saga' });
    expect(run.status).toBe('completed'); // the function ended; the saga compensated

    const stored = await snapshots(run.id);
    const waiting = stored.find((s) => s.status === 'compensating' && s.waiting);
    expect(Object.keys(waiting?.waiting ?? {})).toEqual(['compensate:charge']);
    expect(stored.at(-1)).toMatchObject({ status: 'compensated', compensatedSteps: ['charge', 'reserve'] });
  });

  it('a stalled saga is stored with the failure it stalled on', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'ship');
    const { ids } = await subject.inngest.send({ name: 'shop/pivot.created', data: { orderId } });
    const running = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await elsewhere.get(running.id))?.failure !== undefined);
    expect(await elsewhere.get(running.id)).toMatchObject({
      status: 'running',
      completedSteps: ['reserve', 'capture'],
      failure: { stepId: 'ship', name: 'NonRetriableError', message: 'ship refused' },
    });
    ledger.failAt.delete(orderId);
    await waitFor(async () => (await subject.engine.getRun(running.id))?.pending[0]?.kind === 'wait');
    await subject.inngest.send({ name: 'saga/retry', data: { runId: running.id } });
    expect((await subject.engine.waitForRun({ runId: running.id })).status).toBe('completed');
    expect(await subject.app.get(SagaService).getState(running.id)).toMatchObject({ status: 'completed' });
  });
});

describe('EventStoreSagaStateStore, deferred saves', () => {
  it('keeps a deferred save readable at once, and writes only the latest of a run when it writes', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: NEVER });
    await store.save(state(), { deferrable: true });
    await store.save(state({ completedSteps: ['reserve'], startedSteps: ['reserve', 'charge'] }), {
      deferrable: true,
    });

    expect((await events.readStream('saga-run-1')).events).toEqual([]);
    expect((await store.get('run-1'))?.startedSteps).toEqual(['reserve', 'charge']);
    expect((await store.findByBusinessKey('order-processing', 'o-1')).map((s) => s.runId)).toEqual(['run-1']);

    await store.flush();
    const stored = (await events.readStream('saga-run-1')).events.map((e) => e.data as SagaState);
    expect(stored.map((s) => s.startedSteps)).toEqual([['reserve', 'charge']]);
    expect((await events.readStream('saga-order-processing-by-key-o-1')).events).toHaveLength(1);
    // both progresses are stored now (the first superseded): a replay of either writes nothing
    await store.save(state(), { deferrable: true });
    await store.save(state({ completedSteps: ['reserve'], startedSteps: ['reserve', 'charge'] }));
    await store.flush();
    expect((await events.readStream('saga-run-1')).events).toHaveLength(1);
  });

  it('finds a run by its business key while its first write lands during the lookup', async () => {
    const events = createMemoryEventStore();
    let store: EventStoreSagaStateStore | undefined;
    // the index read finds the stream empty, and the deferred write lands before the read returns
    const racing = {
      appendToStream: events.appendToStream.bind(events),
      async readStream(
        streamId: string,
        options?: { direction?: 'forward' | 'backward'; maxCount?: number },
      ) {
        const read = await events.readStream(streamId, options);
        if (streamId.includes('-by-key-')) await store?.flush();
        return read;
      },
    };
    store = new EventStoreSagaStateStore(racing, { progressWriteDelayMs: NEVER });
    await store.save(state(), { deferrable: true });

    expect((await store.findByBusinessKey('order-processing', 'o-1')).map((s) => s.runId)).toEqual(['run-1']);
    expect((await events.readStream('saga-order-processing-by-key-o-1')).events).toHaveLength(1);
  });

  it('finds a run by its business key while its deferred save is handed to the write', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: NEVER });
    await store.save(state(), { deferrable: true });
    // the write is queued but has not begun: the lookup reads an index without the run
    const flushing = store.flush();
    const found = await store.findByBusinessKey('order-processing', 'o-1');
    await flushing;
    expect(found.map((s) => s.runId)).toEqual(['run-1']);
  });

  it('writes a deferred save within progressWriteDelayMs without another save', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: 1 });
    await store.save(state(), { deferrable: true });
    await waitFor(async () => (await events.readStream('saga-run-1')).events.length === 1);
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.startedSteps).toEqual(['reserve']);
  });

  it('a save that is not deferrable is stored when it resolves, and replaces the deferred one', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: NEVER });
    await store.save(state(), { deferrable: true });
    await store.save(state({ status: 'completed', completedSteps: ['reserve'] }));

    const stored = (await events.readStream('saga-run-1')).events.map((e) => e.data as SagaState);
    expect(stored.map((s) => s.status)).toEqual(['completed']);
    await store.flush();
    expect((await events.readStream('saga-run-1')).events).toHaveLength(1);
  });

  it('a replay passing through earlier progress never replaces a later state', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: NEVER });
    const later = state({ startedSteps: ['reserve', 'charge'], completedSteps: ['reserve'] });
    await store.save(later);
    await store.save(state(), { deferrable: true }); // the replay's save before its first step
    await store.flush();
    expect((await store.get('run-1'))?.startedSteps).toEqual(['reserve', 'charge']);
    expect((await events.readStream('saga-run-1')).events).toHaveLength(1);
  });

  it('never writes a running state over a run that ended in this process (a cancelled run still going)', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: NEVER });
    await store.save(
      state({ status: 'cancelled', completedSteps: ['reserve'], compensatedSteps: ['reserve'] }),
    );
    const going = { startedSteps: ['reserve', 'charge', 'ship'], completedSteps: ['reserve', 'charge'] };
    await store.save(state(going), { deferrable: true });
    await store.flush();
    expect((await store.get('run-1'))?.status).toBe('cancelled');
    expect((await events.readStream('saga-run-1')).events).toHaveLength(1);
  });

  it('never stores a running state over a cancelled one, even one that must be stored now', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events, { progressWriteDelayMs: NEVER });
    await store.save(
      state({ status: 'cancelled', completedSteps: ['reserve'], compensatedSteps: ['reserve'] }),
    );
    // the cancelled run's request goes on to its next wait, which saves before it waits
    await store.save(state({ startedSteps: ['reserve', 'charge'], completedSteps: ['reserve', 'charge'] }));
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.status).toBe('cancelled');
    expect((await events.readStream('saga-run-1')).events).toHaveLength(1);
  });

  it('reads a run as the furthest of its last states, when another instance wrote older progress last', async () => {
    const events = createMemoryEventStore();
    const ended = new EventStoreSagaStateStore(events);
    await ended.save(state({ status: 'completed', completedSteps: ['reserve', 'charge', 'ship'] }));
    const slowInstance = new EventStoreSagaStateStore(events); // its deferred write lands late
    await slowInstance.save(state({ startedSteps: ['reserve', 'charge'], completedSteps: ['reserve'] }));
    expect((await events.readStream('saga-run-1')).events).toHaveLength(2);
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.status).toBe('completed');
  });

  it('of two stored states as far on, reads the one saved last, whichever landed last', async () => {
    const events = createMemoryEventStore();
    const progress = { startedSteps: ['reserve', 'ship'], completedSteps: ['reserve'] };
    const failure = { stepId: 'ship', name: 'CarrierDownError', message: 'no carrier' };
    await new EventStoreSagaStateStore(events).save(state({ ...progress, failure, updatedAt: 2_000 }));
    await new EventStoreSagaStateStore(events).save(state({ ...progress, updatedAt: 1_000 })); // landed late
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.failure).toEqual(failure);
  });

  it('reads a cancellation over a completion the cancelled run went on to store', async () => {
    const events = createMemoryEventStore();
    // the companion compensated what the state showed when the run was cancelled...
    const atCancel = {
      startedSteps: ['reserve'],
      completedSteps: ['reserve'],
      compensatedSteps: ['reserve'],
    };
    await new EventStoreSagaStateStore(events).save(state({ ...atCancel, status: 'cancelled' }));
    // ...while the run's request went on to its end, and stored it last
    const ended = {
      startedSteps: ['reserve', 'charge', 'ship'],
      completedSteps: ['reserve', 'charge', 'ship'],
    };
    await new EventStoreSagaStateStore(events).save(state({ ...ended, status: 'completed' }));
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.status).toBe('cancelled');
  });

  it('reads what another instance stored over a state of its own whose write failed', async () => {
    const events = createMemoryEventStore();
    const refusing = {
      appendToStream: () => Promise.reject(new Error('database restarting')),
      readStream: events.readStream.bind(events),
    } as unknown as EventStore;
    const here = new EventStoreSagaStateStore(refusing, { progressWriteDelayMs: 1 });
    await here.save(state({ startedSteps: ['reserve', 'charge'], completedSteps: ['reserve'] }), {
      deferrable: true,
    });
    await here.flush(); // its write failed: kept, to be tried again
    await new EventStoreSagaStateStore(events).save(
      state({
        status: 'completed',
        startedSteps: ['reserve', 'charge'],
        completedSteps: ['reserve', 'charge'],
      }),
    );
    expect((await here.get('run-1'))?.status).toBe('completed');
  });

  it('keeps a deferred state whose write failed readable, and stores it on a later try', async () => {
    const events = createMemoryEventStore();
    let refusals = 1;
    const flaky = {
      appendToStream: (...args: Parameters<EventStore['appendToStream']>) =>
        refusals-- > 0 ? Promise.reject(new Error('database restarting')) : events.appendToStream(...args),
      readStream: events.readStream.bind(events),
    } as unknown as EventStore;
    const store = new EventStoreSagaStateStore(flaky, { progressWriteDelayMs: 1 });
    const progressed = state({ startedSteps: ['reserve', 'charge'], completedSteps: ['reserve'] });
    await store.save(progressed, { deferrable: true });
    await waitFor(async () => refusals < 0); // the first write was refused
    expect((await store.get('run-1'))?.startedSteps).toEqual(['reserve', 'charge']);
    await waitFor(async () => (await events.readStream('saga-run-1')).events.length === 1);
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.startedSteps).toEqual([
      'reserve',
      'charge',
    ]);
  });

  it('stores a failure that comes with no other change, as a stalled saga saves it', async () => {
    const events = createMemoryEventStore();
    const store = new EventStoreSagaStateStore(events);
    await store.save(state({ startedSteps: ['reserve', 'ship'], completedSteps: ['reserve'] }));
    const failure = { stepId: 'ship', name: 'CarrierDownError', message: 'no carrier' };
    await store.save(state({ startedSteps: ['reserve', 'ship'], completedSteps: ['reserve'], failure }));
    expect((await new EventStoreSagaStateStore(events).get('run-1'))?.failure).toEqual(failure);
  });

  it('refuses a progressWriteDelayMs that is not a finite number of ms, naming the option', () => {
    const events = createMemoryEventStore();
    for (const progressWriteDelayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let error: unknown;
      try {
        new EventStoreSagaStateStore(events, { progressWriteDelayMs });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SagaConfigError);
      expect(error).toMatchObject({ code: 'SAGA_CONFIG', field: 'progressWriteDelayMs' });
    }
  });
});
