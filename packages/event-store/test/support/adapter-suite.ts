import { afterAll, describe, expect, it } from 'vitest';
import {
  ALL_TENANTS,
  DuplicateEventIdError,
  type EventStore,
  EventStoreValidationError,
  type ProjectionDefinition,
  type RecordedEvent,
  START_CHECKPOINT,
  type SubscriptionContext,
  UpcastError,
  WrongExpectedVersionError,
} from '../../src';
import type { AdapterFixture } from './adapters';

const created = (orderId: string, total = 100) => ({ type: 'order.created', data: { orderId, total } });
const shipped = (orderId: string) => ({ type: 'order.shipped', data: { orderId } });

/** Counts orders per status, in documents keyed by status. */
const ordersByStatus = (mode: 'inline' | 'async'): ProjectionDefinition<{ count: number }> => ({
  name: `orders-by-status-${mode}`,
  mode,
  eventTypes: ['order.created', 'order.shipped'],
  async evolve(event, docs) {
    const bump = async (status: string, delta: number) => {
      const doc = (await docs.get(status)) ?? { count: 0 };
      await docs.put(status, { count: doc.count + delta });
    };
    if (event.type === 'order.created') await bump('pending', 1);
    else {
      await bump('pending', -1);
      await bump('shipped', 1);
    }
  },
});

/**
 * The behaviour every adapter must have. Each test gets a fresh store, so tests never see each
 * other's events.
 */
export function adapterSuite(fixture: AdapterFixture): void {
  afterAll(() => fixture.dispose());
  const fresh = (options?: Parameters<AdapterFixture['create']>[0]) => fixture.create(options);

  describe(`${fixture.name} adapter: append and read`, () => {
    it('stores every fact of an event: id, stream, version, position, type, data, metadata, tenant, timestamp', async () => {
      const store = await fresh();
      const before = Date.now();
      const { events, nextExpectedVersion, idempotent } = await store.appendToStream(
        'order-1',
        [
          {
            ...created('1'),
            id: 'evt-1',
            metadata: { correlationId: 'c-1', causationId: 'cmd-1', inngestRunId: 'run-1' },
          },
        ],
        { tenantId: 'acme' },
      );
      expect(nextExpectedVersion).toBe(1);
      expect(idempotent).toBe(false);
      const { events: read } = await store.readStream('order-1', { tenantId: 'acme' });
      for (const event of [events[0]!, read[0]!]) {
        expect(event).toMatchObject({
          id: 'evt-1',
          streamId: 'order-1',
          streamVersion: 1,
          type: 'order.created',
          data: { orderId: '1', total: 100 },
          metadata: { correlationId: 'c-1', causationId: 'cmd-1', inngestRunId: 'run-1' },
          tenantId: 'acme',
          schemaVersion: 1,
        });
        expect(event.globalPosition).toBeGreaterThan(0);
        expect(event.checkpoint > START_CHECKPOINT).toBe(true);
        expect(event.timestamp).toBeInstanceOf(Date);
        expect(event.timestamp.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      }
      expect(read[0]!.checkpoint).toBe(events[0]!.checkpoint);
    });

    it('gives events without an id a unique one', async () => {
      const store = await fresh();
      const { events } = await store.appendToStream('order-1', [created('1'), shipped('1')]);
      expect(events[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(events.map((e) => e.id)).size).toBe(2);
    });

    it('reads a stream forward and backward, between versions, at most maxCount events', async () => {
      const store = await fresh();
      await store.appendToStream(
        's',
        [1, 2, 3, 4, 5].map((n) => ({ type: 'n', data: { n } })),
      );
      const ns = (events: RecordedEvent[]) => events.map((e) => (e.data as { n: number }).n);
      expect(ns((await store.readStream('s')).events)).toEqual([1, 2, 3, 4, 5]);
      expect(ns((await store.readStream('s', { direction: 'backward' })).events)).toEqual([5, 4, 3, 2, 1]);
      expect(ns((await store.readStream('s', { from: 2, to: 4 })).events)).toEqual([2, 3, 4]);
      expect(ns((await store.readStream('s', { direction: 'backward', from: 4, to: 2 })).events)).toEqual([
        4, 3, 2,
      ]);
      expect(ns((await store.readStream('s', { from: 2, maxCount: 2 })).events)).toEqual([2, 3]);
      expect(ns((await store.readStream('s', { direction: 'backward', maxCount: 2 })).events)).toEqual([
        5, 4,
      ]);
      const beyond = await store.readStream('s', { from: 9 });
      expect(beyond).toEqual({ events: [], version: 5, exists: true });
      expect(await store.readStream('missing')).toEqual({ events: [], version: 0, exists: false });
    });

    it('folds a stream with aggregateStream and reports the version to expect next', async () => {
      const store = await fresh();
      await store.appendToStream('order-7', [created('7', 250), shipped('7')]);
      const { state, version, exists } = await store.aggregateStream('order-7', {
        initialState: () => ({ status: 'none', total: 0 }),
        evolve: (state, event) =>
          event.type === 'order.created'
            ? { status: 'pending', total: (event.data as { total: number }).total }
            : { ...state, status: 'shipped' },
      });
      expect({ state, version, exists }).toEqual({
        state: { status: 'shipped', total: 250 },
        version: 2,
        exists: true,
      });
      const missing = await store.aggregateStream('order-none', {
        initialState: () => 0,
        evolve: (n) => n + 1,
      });
      expect(missing).toEqual({ state: 0, version: 0, exists: false });
    });
  });

  describe(`${fixture.name} adapter: expected versions`, () => {
    it('accepts a matching version, no_stream for a new stream and stream_exists for an existing one', async () => {
      const store = await fresh();
      expect(
        (await store.appendToStream('s', [created('1')], { expectedVersion: 'no_stream' }))
          .nextExpectedVersion,
      ).toBe(1);
      expect(
        (await store.appendToStream('s', [shipped('1')], { expectedVersion: 1 })).nextExpectedVersion,
      ).toBe(2);
      expect(
        (await store.appendToStream('s', [shipped('1')], { expectedVersion: 'stream_exists' }))
          .nextExpectedVersion,
      ).toBe(3);
      expect(
        (await store.appendToStream('s', [shipped('1')], { expectedVersion: 'any' })).nextExpectedVersion,
      ).toBe(4);
      expect(
        (await store.appendToStream('t', [created('2')], { expectedVersion: 0 })).nextExpectedVersion,
      ).toBe(1);
    });

    it('refuses a mismatch with WrongExpectedVersionError carrying both versions, writing nothing', async () => {
      const store = await fresh();
      await store.appendToStream('s', [created('1'), shipped('1')]);
      const attempts: Array<[Parameters<EventStore['appendToStream']>[2], number | string]> = [
        [{ expectedVersion: 1 }, 1],
        [{ expectedVersion: 'no_stream' }, 'no_stream'],
      ];
      for (const [options, expected] of attempts) {
        const error = await store.appendToStream('s', [shipped('1')], options).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamId: 's', expected, actual: 2 });
        expect(error.message).toContain('is at version 2');
      }
      const onMissing = await store
        .appendToStream('new', [created('2')], { expectedVersion: 'stream_exists' })
        .catch((e) => e);
      expect(onMissing).toMatchObject({ expected: 'stream_exists', actual: 0 });
      expect((await store.readStream('s')).version).toBe(2);
      expect((await store.readStream('new')).exists).toBe(false);
    });
  });

  describe(`${fixture.name} adapter: idempotent appends`, () => {
    it('treats an append whose ids are all stored as a replay: nothing written, the original events reported', async () => {
      const store = await fresh();
      const events = [
        { ...created('1'), id: 'a' },
        { ...shipped('1'), id: 'b' },
      ];
      const first = await store.appendToStream('s', events, { expectedVersion: 'no_stream' });
      // A retried Inngest step replays the same append, expectation included.
      const again = await store.appendToStream('s', events, { expectedVersion: 'no_stream' });
      expect(again.idempotent).toBe(true);
      expect(again.nextExpectedVersion).toBe(2);
      expect(again.events.map((e) => [e.id, e.streamVersion, e.globalPosition])).toEqual(
        first.events.map((e) => [e.id, e.streamVersion, e.globalPosition]),
      );
      expect((await store.readStream('s')).events).toHaveLength(2);
      expect((await store.readAll()).events).toHaveLength(2);
    });

    it('refuses an append mixing stored and new ids, or reusing an id in another stream, writing nothing', async () => {
      const store = await fresh();
      await store.appendToStream('s', [{ ...created('1'), id: 'a' }]);
      const mixed = await store
        .appendToStream('s', [
          { ...shipped('1'), id: 'a' },
          { ...shipped('1'), id: 'c' },
        ])
        .catch((e) => e);
      expect(mixed).toBeInstanceOf(DuplicateEventIdError);
      expect(mixed).toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventIds: ['a'] });
      const elsewhere = await store.appendToStream('other', [{ ...created('2'), id: 'a' }]).catch((e) => e);
      expect(elsewhere).toBeInstanceOf(DuplicateEventIdError);
      expect((await store.readAll()).events.map((e) => e.id)).toEqual(['a']);
    });

    it('lets two tenants use the same event id', async () => {
      const store = await fresh();
      await store.appendToStream('s', [{ ...created('1'), id: 'same' }], { tenantId: 'acme' });
      const other = await store.appendToStream('s', [{ ...created('1'), id: 'same' }], {
        tenantId: 'globex',
      });
      expect(other.idempotent).toBe(false);
    });
  });

  describe(`${fixture.name} adapter: atomicity and bad input`, () => {
    it('writes nothing when one event of a batch is invalid, and names the field and the fix', async () => {
      const store = await fresh();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => store.appendToStream('', [created('1')]), 'streamId'],
        [() => store.appendToStream('s', []), 'events'],
        [() => store.appendToStream('s', [created('1'), { type: 'x', data: cyclic }]), 'events[1].data'],
        [() => store.appendToStream('s', [created('1'), { type: 'x', data: { n: 10n } }]), 'events[1].data'],
        [() => store.appendToStream('s', [created('1'), { type: '', data: {} }]), 'events[1].type'],
        [
          () =>
            store.appendToStream('s', [
              { ...created('1'), id: 'x' },
              { ...created('2'), id: 'x' },
            ]),
          'events[1].id',
        ],
        [() => store.appendToStream('s', [{ ...created('1'), colour: 'red' } as never]), 'events[0].colour'],
        [() => store.appendToStream('s', [created('1')], { expectedVersion: -3 }), 'options.expectedVersion'],
        [
          () => store.appendToStream('s', [created('1')], { expectedVerison: 1 } as never),
          'options.expectedVerison',
        ],
        [() => store.appendToStream('s', [created('1')], { tenantId: ALL_TENANTS }), 'options.tenantId'],
        [() => store.readStream('s', { maxCount: 0 }), 'options.maxCount'],
        [() => store.readAll({ after: 'yesterday' }), 'options.after'],
      ];
      for (const [call, field] of cases) {
        const error = (await call().catch((e: unknown) => e)) as EventStoreValidationError;
        expect(error, field).toBeInstanceOf(EventStoreValidationError);
        expect(error.field).toBe(field);
        expect(error.message.startsWith(`${field}: `)).toBe(true);
      }
      expect((await store.readAll()).events).toEqual([]);
    });

    it('commits the appends of a transaction together, or none of them when it throws', async () => {
      const store = await fresh();
      await store.transaction(async (tx) => {
        await tx.appendToStream('order-1', [created('1')]);
        await tx.appendToStream('stock-1', [{ type: 'stock.reserved', data: { orderId: '1' } }]);
      });
      const failed = await store
        .transaction(async (tx) => {
          await tx.appendToStream('order-2', [created('2')]);
          await tx.appendToStream('stock-1', [{ type: 'stock.reserved', data: { orderId: '2' } }], {
            expectedVersion: 0,
          });
        })
        .catch((e) => e);
      expect(failed).toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.readAll()).events.map((e) => e.streamId)).toEqual(['order-1', 'stock-1']);
      expect((await store.readStream('order-2')).exists).toBe(false);
    });
  });

  describe(`${fixture.name} adapter: append notifications`, () => {
    it('tells onAppended listeners what each committed append wrote, never a replay, a rollback or a stopped listener', async () => {
      const store = await fresh();
      const heard: string[][] = [];
      const stop = store.onAppended((streams) =>
        heard.push(streams.map((s) => `${s.tenantId}/${s.streamId}`)),
      );
      store.onAppended(() => {
        throw new Error('a broken listener');
      });
      store.onAppended(async () => {
        throw new Error('a broken async listener'); // unhandled, it would fail the run
      });
      const first = { ...created('n1'), id: 'evt-n1' };
      await store.appendToStream('order-n1', [first], { tenantId: 'acme' });
      await store.appendToStream('order-n1', [first], { tenantId: 'acme' }); // a replay
      await store.transaction(async (tx) => {
        await tx.appendToStream('order-n2', [created('n2')]);
        await tx.appendToStream('stock-n2', [{ type: 'stock.reserved', data: { orderId: 'n2' } }]);
        await tx.appendToStream('order-n2', [shipped('n2')]);
      });
      await store
        .transaction(async (tx) => {
          await tx.appendToStream('order-n3', [created('n3')]);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      stop();
      await store.appendToStream('order-n4', [created('n4')]);
      expect(heard).toEqual([['acme/order-n1'], ['default/order-n2', 'default/stock-n2']]);
      expect((await store.readStream('order-n4')).version).toBe(1);
    });
  });

  describe(`${fixture.name} adapter: the global order`, () => {
    it('reads all events in commit order after a checkpoint, page by page, filtered by type', async () => {
      const store = await fresh();
      for (let i = 1; i <= 5; i++)
        await store.appendToStream(`order-${i}`, [created(String(i)), shipped(String(i))]);
      const all = await store.readAll();
      expect(all.events.map((e) => `${e.streamId}/${e.streamVersion}`)).toEqual(
        [1, 2, 3, 4, 5].flatMap((i) => [`order-${i}/1`, `order-${i}/2`]),
      );
      const positions = all.events.map((e) => e.globalPosition);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      const pages: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll({ maxCount: 3, ...(after ? { after } : {}) });
        if (page.events.length === 0) break;
        pages.push(...page.events.map((e) => e.id));
        after = page.checkpoint;
      }
      expect(pages).toEqual(all.events.map((e) => e.id));
      const onlyShipped = await store.readAll({ types: ['order.shipped'] });
      expect(onlyShipped.events.map((e) => e.type)).toEqual(Array(5).fill('order.shipped'));
      expect((await store.readAll({ after: all.checkpoint })).events).toEqual([]);
    });
  });

  describe(`${fixture.name} adapter: tenants`, () => {
    it('never shows one tenant another tenant’s streams or events', async () => {
      const store = await fresh();
      await store.appendToStream('order-1', [created('1', 1)], { tenantId: 'acme' });
      await store.appendToStream('order-1', [created('1', 2)], { tenantId: 'globex' });
      await store.appendToStream('order-2', [created('2', 3)], { tenantId: 'globex' });
      const acme = await store.readStream('order-1', { tenantId: 'acme' });
      expect(acme.events.map((e) => (e.data as { total: number }).total)).toEqual([1]);
      expect((await store.readStream('order-2', { tenantId: 'acme' })).exists).toBe(false);
      expect((await store.readStream('order-1')).exists).toBe(false);
      expect((await store.readAll({ tenantId: 'globex' })).events.map((e) => e.tenantId)).toEqual([
        'globex',
        'globex',
      ]);
      expect((await store.readAll({ tenantId: ALL_TENANTS })).events).toHaveLength(3);
    });
  });

  describe(`${fixture.name} adapter: upcasting`, () => {
    it('upcasts old payloads on read through a chain of upcasters, and writes new events at the latest version', async () => {
      const store = await fresh({
        upcasters: [
          {
            type: 'payment.processed',
            fromVersion: 1,
            upcast: (d: { amount: number }) => ({ amountCents: Math.round(d.amount * 100) }),
          },
          {
            type: 'payment.processed',
            fromVersion: 2,
            upcast: (d: { amountCents: number }) => ({ ...d, currency: 'USD' }),
          },
        ],
      });
      // Stored as an old version of the code wrote it.
      await store.appendToStream('p', [
        { type: 'payment.processed', data: { amount: 12.5 }, schemaVersion: 1 },
      ]);
      const { events } = await store.readStream('p');
      expect(events[0]).toMatchObject({ schemaVersion: 3, data: { amountCents: 1250, currency: 'USD' } });
      const appended = await store.appendToStream('p', [
        { type: 'payment.processed', data: { amountCents: 1, currency: 'EUR' } },
      ]);
      expect(appended.events[0]!.schemaVersion).toBe(3);
      expect((await store.readAll()).events.map((e) => e.data)).toEqual([
        { amountCents: 1250, currency: 'USD' },
        { amountCents: 1, currency: 'EUR' },
      ]);
    });

    it('fails with UpcastError naming the type and version when an upcaster throws', async () => {
      const store = await fresh({
        upcasters: [
          {
            type: 'x',
            fromVersion: 1,
            upcast: () => {
              throw new Error('bad payload');
            },
          },
        ],
      });
      await store.appendToStream('s', [{ type: 'x', data: {}, schemaVersion: 1 }]).catch(() => undefined);
      const error = await store.readStream('s').catch((e) => e);
      expect(error).toBeInstanceOf(UpcastError);
      expect(error).toMatchObject({ eventType: 'x', schemaVersion: 1 });
    });
  });

  describe(`${fixture.name} adapter: subscriptions`, () => {
    it('handles every event once, in global order, and resumes from its durable checkpoint', async () => {
      const store = await fresh();
      await store.appendToStream('a', [created('1'), shipped('1')]);
      const seen: string[] = [];
      const first = store.subscribe({
        name: 'audit',
        tenantId: ALL_TENANTS,
        batchSize: 2,
        handler: (e) => void seen.push(e.id),
      });
      await first.waitUntilCaughtUp();
      await store.appendToStream('b', [created('2')]);
      await first.waitUntilCaughtUp();
      await first.stop();
      await store.appendToStream('c', [created('3')]);
      const second = store.subscribe({
        name: 'audit',
        tenantId: ALL_TENANTS,
        handler: (e) => void seen.push(e.id),
      });
      await second.waitUntilCaughtUp();
      await second.stop();
      expect(seen).toEqual((await store.readAll({ tenantId: ALL_TENANTS })).events.map((e) => e.id));
    });

    it('retries a batch whose handler failed, without moving its checkpoint or keeping its writes', async () => {
      const store = await fresh();
      await store.appendToStream('a', [created('1'), created('2')]);
      let failOn: string | null = '2';
      const handled: string[] = [];
      const subscription = store.subscribe({
        name: 'flaky',
        pollIntervalMs: 10,
        async handler(event, context) {
          const orderId = (event.data as { orderId: string }).orderId;
          await context.documents('seen').put(orderId, { at: event.streamVersion });
          if (orderId === failOn) throw new Error('downstream is down');
          handled.push(orderId);
        },
      });
      await expect.poll(() => subscription.lastError?.message).toContain('downstream is down');
      expect(subscription.checkpoint).toBeNull();
      failOn = null;
      await subscription.waitUntilCaughtUp();
      await subscription.stop();
      // The first attempt handled '1' and rolled back with the batch: at least once for the handler, once for the writes.
      expect(handled.slice(-2)).toEqual(['1', '2']);
      expect(subscription.checkpoint).toBe((await store.readAll()).checkpoint);
    });

    it('drains a log larger than a batch in order, once, resuming after a failed batch from the last committed one', async () => {
      const store = await fresh();
      for (let append = 0; append < 24; append++)
        await store.appendToStream(
          `order-${append % 3}`,
          Array.from({ length: 100 }, (_, n) => created(`${append}-${n}`)),
        );
      const all: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = await store.readAll(after ? { after } : {});
        if (page.events.length === 0) break;
        all.push(...page.events.map((e) => e.id));
        after = page.checkpoint;
      }
      expect(all).toHaveLength(2400);
      const poisoned = all[1699]!;
      // A write per sampled event, in the batch's transaction: one found already means a second delivery.
      const sampled = new Set(all.filter((_, index) => index % 20 === 0));
      const redelivered: string[] = [];
      const deliver = (seen: string[], failOn: string | null) => ({
        name: 'drain',
        async handler(event: RecordedEvent, context: SubscriptionContext) {
          seen.push(event.id);
          if (event.id === failOn) throw new Error('poisoned');
          if (!sampled.has(event.id)) return;
          const deliveries = context.documents<{ at: number }>('deliveries');
          if (await deliveries.get(event.id)) redelivered.push(event.id);
          await deliveries.put(event.id, { at: event.globalPosition });
        },
      });
      const seenFirst: string[] = [];
      const first = store.subscribe(deliver(seenFirst, poisoned));
      await expect.poll(() => first.lastError?.message, { timeout: 60_000 }).toContain('poisoned');
      await first.stop();
      const seenSecond: string[] = [];
      const second = store.subscribe(deliver(seenSecond, null));
      await second.waitUntilCaughtUp();
      await second.stop();
      // The restart begins after the last committed batch, at or before the failed event.
      const resumedAt = all.indexOf(seenSecond[0]!);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(1699);
      expect(seenFirst.slice(0, resumedAt)).toEqual(all.slice(0, resumedAt));
      expect(seenSecond).toEqual(all.slice(resumedAt));
      // The failed batch's writes rolled back with it.
      expect(redelivered).toEqual([]);
    });

    it('follows one tenant and only the types asked for', async () => {
      const store = await fresh();
      await store.appendToStream('a', [created('1'), shipped('1')], { tenantId: 'acme' });
      await store.appendToStream('a', [created('2')], { tenantId: 'globex' });
      const seen: string[] = [];
      const subscription = store.subscribe({
        name: 'acme-shipments',
        tenantId: 'acme',
        types: ['order.shipped'],
        handler: (e) => void seen.push(`${e.tenantId}:${e.type}`),
      });
      await subscription.waitUntilCaughtUp();
      await subscription.stop();
      expect(seen).toEqual(['acme:order.shipped']);
    });
  });

  describe(`${fixture.name} adapter: projections`, () => {
    it('updates an inline projection in the append’s transaction, and fails the append when it throws', async () => {
      const breaking: ProjectionDefinition = {
        name: 'breaking',
        mode: 'inline',
        eventTypes: ['order.poisoned'],
        evolve: () => {
          throw new Error('projection bug');
        },
      };
      const store = await fresh({ projections: [ordersByStatus('inline'), breaking] });
      await store.appendToStream('o-1', [created('1'), shipped('1')]);
      await store.appendToStream('o-2', [created('2')]);
      const view = store.projection<{ count: number }>('orders-by-status-inline');
      expect(await view.get('pending')).toEqual({ count: 1 });
      expect(await view.get('shipped')).toEqual({ count: 1 });
      await expect(
        store.appendToStream('o-3', [created('3'), { type: 'order.poisoned', data: {} }]),
      ).rejects.toThrow('projection bug');
      expect((await store.readStream('o-3')).exists).toBe(false);
      expect(await view.get('pending')).toEqual({ count: 1 });
      expect((await view.list()).map((d) => d.id)).toEqual(['pending', 'shipped']);
    });

    it('runs an async projection from a subscription, per tenant, and rebuilds it from position 0', async () => {
      const store = await fresh({ projections: [ordersByStatus('async'), ordersByStatus('inline')] });
      store.start();
      await store.appendToStream('o-1', [created('1'), shipped('1')], { tenantId: 'acme' });
      await store.appendToStream('o-2', [created('2')], { tenantId: 'acme' });
      await store.appendToStream('o-1', [created('1')], { tenantId: 'globex' });
      await store.waitForProjections();
      const view = store.projection<{ count: number }>('orders-by-status-async');
      expect(await view.get('pending', { tenantId: 'acme' })).toEqual({ count: 1 });
      expect(await view.get('shipped', { tenantId: 'acme' })).toEqual({ count: 1 });
      expect(await view.get('pending', { tenantId: 'globex' })).toEqual({ count: 1 });
      expect(await view.get('shipped', { tenantId: 'globex' })).toBeNull();
      for (const name of ['orders-by-status-async', 'orders-by-status-inline']) {
        await store.rebuildProjection(name);
        const rebuilt = store.projection<{ count: number }>(name);
        expect(await rebuilt.get('pending', { tenantId: 'acme' }), name).toEqual({ count: 1 });
        expect(await rebuilt.get('shipped', { tenantId: 'acme' }), name).toEqual({ count: 1 });
        expect(await rebuilt.get('pending', { tenantId: 'globex' }), name).toEqual({ count: 1 });
      }
      await store.appendToStream('o-3', [created('3')], { tenantId: 'acme' });
      await store.waitForProjections();
      expect(await view.get('pending', { tenantId: 'acme' })).toEqual({ count: 2 });
    });
  });
}
