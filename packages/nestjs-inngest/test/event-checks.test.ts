import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InngestEventPayloadError, InngestEventSchemaError, InngestModule, InngestService } from '../src';
import { type Platform, startApp, type TestApp } from './support/app';
import { callFunction } from './support/call-requests';
import { OrderFunctions, PricingService } from './support/fixtures';
import { type RegisterSink, startRegisterSink } from './support/register-sink';

const orderCreated = z.object({
  orderId: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).optional(),
});

describe.each<Platform>(['express', 'fastify'])('event checks on %s (dev mode)', (platform) => {
  let sink: RegisterSink;
  let testApp: TestApp;
  let inngest: InngestService;

  beforeAll(async () => {
    sink = await startRegisterSink();
    testApp = await startApp(platform, {
      imports: [
        InngestModule.forRoot({
          appId: 'shop',
          mode: 'dev',
          baseUrl: sink.url,
          schemas: { 'order/created': orderCreated },
        }),
      ],
      providers: [PricingService, OrderFunctions],
    });
    inngest = testApp.app.get(InngestService);
  });

  afterAll(async () => {
    await testApp?.close();
    await sink?.close();
  });

  beforeEach(() => {
    sink.events.length = 0;
  });

  it.each([
    ['a string', 'o-1', 'a string ("o-1")', 'value'],
    ['a number', 42, 'a number (42)', 'value'],
    ['an array', [{ orderId: 'o-1' }], 'an array', 'items'],
    ['null', null, 'null', 'value'],
  ])(
    'refuses data that is %s, naming the field `data` and the fix, and sends nothing',
    async (_kind, data, described, wrapper) => {
      const attempt = inngest.send({ name: 'payment/received', data: data as never });

      await expect(attempt).rejects.toThrow(InngestEventPayloadError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INNGEST_INVALID_EVENT',
        field: 'data',
        eventName: 'payment/received',
        index: 0,
      });
      await expect(attempt).rejects.toThrow(
        `Event "payment/received" (#0 of the events sent) cannot be sent: its \`data\` is ${described}, and ` +
          `Inngest event data must be an object: wrap the value, e.g. { name: 'payment/received', data: { ${wrapper}: ... } }.`,
      );
      expect(sink.events).toEqual([]);
    },
  );

  it('refuses a circular data with the path of the cycle, instead of sending "[Circular ~.0.data]"', async () => {
    const order: Record<string, unknown> = { orderId: 'o-1', lines: [{ sku: 'A' }] };
    (order.lines as Array<Record<string, unknown>>)[0]!.order = order;

    const attempt = inngest.send({ name: 'payment/received', data: { order } });

    await expect(attempt).rejects.toThrow(InngestEventPayloadError);
    await expect(attempt).rejects.toMatchObject({ field: 'data.order.lines[0].order' });
    await expect(attempt).rejects.toThrow(
      '`data` has a circular reference: `data.order.lines[0].order` refers back to an object that contains it',
    );
    expect(sink.events).toEqual([]);
  });

  it('refuses a BigInt, which the SDK would drop', async () => {
    const attempt = inngest.send({ name: 'payment/received', data: { amount: 10n } });
    await expect(attempt).rejects.toMatchObject({ field: 'data.amount' });
    await expect(attempt).rejects.toThrow('`data.amount` is a BigInt');
    expect(sink.events).toEqual([]);
  });

  it('refuses an event without a name', async () => {
    const attempt = inngest.send({ name: '', data: {} });
    await expect(attempt).rejects.toMatchObject({ field: 'name', index: 0 });
    await expect(attempt).rejects.toThrow("give the event name, a non-empty string such as 'order/created'");
  });

  it('sends nothing of a batch in which one event is invalid, and says which one', async () => {
    const attempt = inngest.send([
      { name: 'payment/received', data: { amount: 1 } },
      { name: 'payment/refunded', data: 'all' as never },
    ]);
    await expect(attempt).rejects.toMatchObject({ field: 'data', index: 1, eventName: 'payment/refunded' });
    expect(sink.events).toEqual([]);
  });

  it('sends dates, shared (not circular) objects and a missing data as JSON would', async () => {
    const address = { city: 'Lyon' };
    await inngest.send([
      { name: 'payment/received', data: { at: new Date(0), billing: address, shipping: address } },
      { name: 'payment/received' } as never,
    ]);
    expect(sink.events).toMatchObject([
      {
        name: 'payment/received',
        data: { at: '1970-01-01T00:00:00.000Z', billing: { city: 'Lyon' }, shipping: { city: 'Lyon' } },
      },
      { name: 'payment/received', data: {} },
    ]);
  });

  it('refuses at send an event whose data fails its schema, listing every issue with its path', async () => {
    const attempt = inngest.send({
      name: 'order/created',
      data: {
        orderId: 7,
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 3, quantity: 0 },
        ],
      },
    });

    await expect(attempt).rejects.toThrow(InngestEventSchemaError);
    const error = (await attempt.catch((e: unknown) => e)) as InngestEventSchemaError;
    expect(error).toMatchObject({ code: 'INNGEST_EVENT_SCHEMA', eventName: 'order/created' });
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'data.orderId',
      'data.items[1].sku',
      'data.items[1].quantity',
    ]);
    expect(error.message).toContain(
      'Event "order/created" does not match its schema in InngestModule `schemas`: ' +
        'data.orderId: Invalid input: expected string, received number; ',
    );
    expect(error.message).toContain('Nothing was sent');
    expect(sink.events).toEqual([]);
  });

  it('sends an event that passes its schema as given (the schema validates, it does not transform)', async () => {
    await inngest.send({ name: 'order/created', data: { orderId: 'o-1', note: 'not in the schema' } });
    expect(sink.events).toMatchObject([
      { name: 'order/created', data: { orderId: 'o-1', note: 'not in the schema' } },
    ]);
  });

  it('fails a function triggered by an event that fails its schema, without retries, before its handler runs', async () => {
    const pricing = testApp.app.get(PricingService);
    const callsBefore = pricing.calls.length;

    const result = await callFunction(`${testApp.url}/api/inngest`, 'shop-price-order', {
      event: { name: 'order/created', data: { orderId: 42 }, id: 'evt-bad', ts: Date.now() },
    });

    expect(result.status).toBe(400);
    expect(result.headers.get('x-inngest-no-retry')).toBe('true');
    expect(result.body).toMatchObject({ name: 'NonRetriableError' });
    expect(result.body.message).toContain(
      'Function "price-order" was triggered by event "order/created", whose data does not match its schema ' +
        'in InngestModule `schemas`: data.orderId: Invalid input: expected string, received number.',
    );
    expect(pricing.calls.length).toBe(callsBefore);
  });

  it('runs a function triggered by an event that passes its schema', async () => {
    const result = await callFunction(`${testApp.url}/api/inngest`, 'shop-price-order', {
      event: { name: 'order/created', data: { orderId: 'o-ok' }, id: 'evt-ok', ts: Date.now() },
    });
    expect(result.status).toBe(206);
    expect(result.body[0]).toMatchObject({ op: 'StepRun', name: 'load-order', data: 'o-ok' });
  });
});
