import { createMemoryEventStore, type EventStore } from '@sagaline/event-store';
import { afterEach, describe, expect, it } from 'vitest';
import { runningSubscriptions, StreamIndex } from '../src/sources/stream-index';

describe('the subscriptions of the event store page', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it('counts the lag in the events a subscription handles, and calls it unknown before it has handled one here', async () => {
    store = createMemoryEventStore();
    // stopped on an empty store: this instance has handled nothing, whatever its stored checkpoint
    const idle = store.subscribe({ name: 'idle', handler: () => {} });
    await idle.stop();
    const paid = store.subscribe({ name: 'paid', types: ['order.paid'], handler: () => {} });
    await store.appendToStream('order-1', [{ type: 'order.paid', data: {} }]);
    await paid.waitUntilCaughtUp();
    await paid.stop();
    await store.appendToStream('order-2', [
      { type: 'order.placed', data: {} },
      { type: 'order.placed', data: {} },
      { type: 'order.paid', data: {} },
    ]);
    const summaries = await new StreamIndex(store).subscriptions(runningSubscriptions(store));
    const byName = Object.fromEntries(summaries.map((summary) => [summary.name, summary]));
    expect(byName.paid).toMatchObject({ lag: 1, lagCapped: false });
    expect(byName.idle).toMatchObject({ checkpoint: null, lag: null, lagCapped: false });
  });
});
