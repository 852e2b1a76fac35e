import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { EmbeddedEngine } from '@sagaline/embedded-engine';
import {
  INNGEST_EMBEDDED_ENGINE,
  type InngestContext,
  InngestFunction,
  InngestModule,
  InngestService,
} from '@sagaline/nestjs-inngest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EventStore,
  EventStoreConfigError,
  EventStoreModule,
  eventStoreAudit,
  type ProjectionDefinition,
  RUN_STARTED_EVENT,
} from '../src';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const orderStream = (event: { data: unknown }) => `order-${(event.data as { orderId: string }).orderId}`;

@Injectable()
class OrderConfirmation {
  @InngestFunction({ id: 'confirm-order', triggers: [{ event: 'order/placed' }] })
  async confirm({ event, step }: InngestContext) {
    const { orderId } = event.data as { orderId: string };
    await step.run('check', () => orderId);
    await step.sendEvent('announce', { name: 'order/confirmed', data: { orderId } });
    return { orderId };
  }
}

async function startShop() {
  @Module({
    imports: [
      EventStoreModule.forRoot({ adapter: { kind: 'pglite' }, isGlobal: true }),
      InngestModule.forRootAsync({
        inject: [EventStore],
        useFactory: (store: EventStore) => ({
          appId: 'audit-test',
          mode: 'embedded' as const,
          middleware: [eventStoreAudit(store, { streamId: orderStream })],
        }),
      }),
    ],
    providers: [OrderConfirmation],
  })
  class ShopModule {}
  const app = await NestFactory.create(ShopModule, new ExpressAdapter(), {
    logger: false,
    abortOnError: false,
  });
  await app.listen(0, '127.0.0.1');
  closers.push(() => app.close());
  const inngest = app.get(InngestService);
  await inngest.whenSynced();
  return {
    app,
    inngest,
    store: app.get(EventStore),
    engine: app.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE),
  };
}

describe('eventStoreAudit: Inngest middleware', () => {
  it('records the triggering event and the events a run sends, with the run id, in the stream of choice', async () => {
    const { inngest, store, engine } = await startShop();
    const { ids } = await inngest.send({ name: 'order/placed', data: { orderId: '42' } });
    const run = await engine.waitForRun({ eventId: ids[0], status: 'completed' });
    const { events } = await store.readStream('order-42');
    expect(events.map((e) => e.type)).toEqual(['order/placed', RUN_STARTED_EVENT, 'order/confirmed']);
    expect(events[0]).toMatchObject({
      id: ids[0],
      data: { orderId: '42' },
      metadata: { inngestEventId: ids[0] },
    });
    expect(events[1]).toMatchObject({
      data: { runId: run.id, functionId: 'audit-test-confirm-order', eventIds: ids },
      metadata: { inngestRunId: run.id, causationId: ids[0] },
    });
    expect(events[2]!.metadata).toMatchObject({ inngestRunId: run.id, inngestEventId: events[2]!.id });
  });

  it('does not append a triggering event again when this process recorded it as it was sent', async () => {
    const { inngest, store, engine } = await startShop();
    // when each append of the event began and ended: the run may start before the send's record
    // lands, and then both append it; once it has landed, no later append of it may begin
    const appends: Array<{ began: number; ended?: number }> = [];
    const append = store.appendToStream.bind(store);
    vi.spyOn(store, 'appendToStream').mockImplementation(async (streamId, events, options) => {
      const recordsIt = [events].flat().some((event) => event.id === 'placed-9');
      const call: { began: number; ended?: number } | undefined = recordsIt
        ? { began: performance.now() }
        : undefined;
      if (call) appends.push(call);
      const result = await append(streamId, events, options);
      // taken a turn of the event loop later, so it falls after the middleware has noted the
      // event as recorded (a few promise reactions after this one returns)
      if (call)
        setImmediate(() => {
          call.ended = performance.now();
        });
      return result;
    });
    await inngest.send({ id: 'placed-9', name: 'order/placed', data: { orderId: '9' } });
    await engine.waitForRun({ eventId: 'placed-9', status: 'completed' });

    const firstEnded = Math.min(...appends.map((call) => call.ended ?? Number.POSITIVE_INFINITY));
    expect(appends.length).toBeGreaterThanOrEqual(1);
    expect(appends.filter((call) => call.began > firstEnded)).toEqual([]);
    const { events } = await store.readStream('order-9');
    expect(events.map((e) => e.type)).toEqual(['order/placed', RUN_STARTED_EVENT, 'order/confirmed']);
  });

  it('records an event once however often it is sent or delivered', async () => {
    const { inngest, store, engine } = await startShop();
    await inngest.send({ id: 'placed-7', name: 'order/placed', data: { orderId: '7' } });
    await inngest.send({ id: 'placed-7', name: 'order/placed', data: { orderId: '7' } });
    await engine.waitForRun({ eventId: 'placed-7', status: 'completed' });
    const { events } = await store.readStream('order-7');
    expect(events.filter((e) => e.type === 'order/placed').map((e) => e.id)).toEqual(['placed-7']);
    expect(events.filter((e) => e.type === 'order/confirmed')).toHaveLength(1);
    expect(events.filter((e) => e.type === RUN_STARTED_EVENT)).toHaveLength(1);
  });
});

describe('EventStoreModule', () => {
  const counter: ProjectionDefinition<{ n: number }> = {
    name: 'placed-count',
    mode: 'async',
    async evolve(_event, docs) {
      const doc = (await docs.get('all')) ?? { n: 0 };
      await docs.put('all', { n: doc.n + 1 });
    },
  };

  for (const adapter of [
    { kind: 'memory' as const },
    { kind: 'pglite' as const },
    {
      kind: 'postgres' as const,
      connectionString: 'postgres://postgres@127.0.0.1:5432/test',
      schema: 'es_test_module',
    },
  ]) {
    it(`provides an EventStore on ${adapter.kind} and runs its async projections from bootstrap`, async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [EventStoreModule.forRootAsync({ useFactory: () => ({ adapter, projections: [counter] }) })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      closers.push(() => app.close());
      const store = app.get(EventStore);
      expect(store.adapter).toBe(adapter.kind);
      if (adapter.kind === 'postgres') await store.rebuildProjection('placed-count');
      const before = (await store.projection<{ n: number }>('placed-count').get('all'))?.n ?? 0;
      await store.appendToStream('s', [
        { type: 'x', data: {} },
        { type: 'x', data: {} },
      ]);
      await store.waitForProjections();
      expect(await store.projection<{ n: number }>('placed-count').get('all')).toEqual({ n: before + 2 });
    });
  }

  it('fails at start-up with a typed error naming the option when the adapter is unknown', async () => {
    const compiling = Test.createTestingModule({
      imports: [EventStoreModule.forRoot({ adapter: { kind: 'mongo' } as never })],
    }).compile();
    await expect(compiling).rejects.toBeInstanceOf(EventStoreConfigError);
    await expect(
      Test.createTestingModule({
        imports: [EventStoreModule.forRoot({ adapter: { kind: 'mongo' } as never })],
      }).compile(),
    ).rejects.toMatchObject({ option: 'adapter' });
  });
});
