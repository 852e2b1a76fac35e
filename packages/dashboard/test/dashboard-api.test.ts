import { createMemoryEventStore, type EventStore } from '@sagaline/event-store';
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardApi } from '../src/dashboard.api';
import { type DashboardModuleOptions, resolveDashboardOptions } from '../src/dashboard.options';
import { createRedactor } from '../src/redaction';
import { SagaIndex } from '../src/sources/saga-index';
import type { EventStoreLike } from '../src/sources/source.types';
import { completedSagaState } from './support/saga-state';

const state = completedSagaState({ businessKey: '42' });

/** The API over an event store and one stored saga, whose business key `42` names the stream `order-42`. */
function apiOver(eventStore: EventStoreLike, options: Partial<DashboardModuleOptions> = {}) {
  const resolved = resolveDashboardOptions({
    guard: 'none',
    businessKeyStreams: (saga) => [{ streamId: `order-${saga.businessKey}` }],
    ...options,
  });
  return new DashboardApi(
    {
      eventStore,
      sagas: {
        registry: { list: () => [], get: () => undefined },
        store: { save: async () => {}, get: async () => state, findByBusinessKey: async () => [] },
      },
    },
    resolved,
    new SagaIndex(10),
    createRedactor(resolved.redact),
  );
}

const appendMany = async (store: EventStore, streamId: string, count: number) => {
  const events = Array.from({ length: count }, (_, i) => ({ type: 'order.noted', data: { n: i + 1 } }));
  await store.appendToStream(streamId, events);
};

describe('the dashboard API on the event store', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it("shows a stream's last 100 events in version order, or 100 from the version asked", async () => {
    store = createMemoryEventStore();
    await appendMany(store, 'order-7', 250);
    const api = apiOver(store);
    const latest = (await api.stream('order-7', undefined, undefined)) as any;
    expect(latest.version).toBe(250);
    expect(latest.events.map((event: any) => event.version)).toEqual(
      Array.from({ length: 100 }, (_, i) => 151 + i),
    );
    const fromStart = (await api.stream('order-7', undefined, 1)) as any;
    expect(fromStart.events.map((event: any) => event.version)).toEqual(
      Array.from({ length: 100 }, (_, i) => 1 + i),
    );
  });

  it("shows the latest 200 events of a saga's business-key stream, oldest first", async () => {
    store = createMemoryEventStore();
    await appendMany(store, 'order-42', 250);
    const saga = (await apiOver(store).saga('run-1')) as any;
    expect(saga.businessKeyEvents.map((event: any) => event.version)).toEqual(
      Array.from({ length: 200 }, (_, i) => 51 + i),
    );
  });

  it('lists a stream this process appended to right after the notice, before the global order shows it', async () => {
    store = createMemoryEventStore();
    // PostgreSQL's global order may lag an append that the stream itself already shows
    const lagging: EventStoreLike = {
      adapter: 'lagging',
      readAll: async (options) => ({ events: [], checkpoint: options.after ?? '0' }),
      readStream: (streamId, options) => store.readStream(streamId, options),
    };
    const api = apiOver(lagging);
    expect((await api.streamList({})).items).toEqual([]);
    await appendMany(store, 'ledger-1', 3);
    api.noteAppended([{ tenantId: 'default', streamId: 'ledger-1' }]);
    const list = await api.streamList({});
    expect(list.items).toEqual([
      expect.objectContaining({ tenantId: 'default', streamId: 'ledger-1', category: 'ledger', version: 3 }),
    ]);
  });
});
