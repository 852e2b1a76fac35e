import { EventStore } from '@sagaline/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStepOutput } from '../../src/privacy/inngest-encryption';
import { PiiCipher } from '../../src/privacy/pii-cipher';
import { type Backend, orderBody, startTestShop, type TestShop, waitFor } from '../support/test-shop';

describe.each<Backend>(['pglite', 'postgres'])('the order workflows over HTTP on %s', (backend) => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop(backend);
  });
  afterAll(() => shop?.close());

  const place = async (overrides: Record<string, unknown> = {}, tenant = 'acme') => {
    const { status, body } = await shop.request('POST', '/orders', { body: orderBody(overrides), tenant });
    expect(status).toBe(202);
    expect(body.status).toBe('pending');
    return body.id as string;
  };
  const stock = async (productId: string, tenant = 'acme') =>
    (await shop.request('GET', `/inventory/${productId}`, { tenant })).body;

  it('ships a successful order: stock taken, card charged, label dispatched, email sent', async () => {
    const before = await stock('widget');
    const id = await place({ items: [{ productId: 'widget', quantity: 2 }] });
    const order = await shop.settled(id);

    expect(order.status).toBe('shipped');
    expect(order.total).toBe(2 * 1999);
    expect(order.payment).toMatchObject({ status: 'processed', amount: 3998 });
    expect(order.shipment?.status).toBe('dispatched');
    expect(order.history.map((event) => event.type)).toEqual([
      'order.created',
      'inventory.checked',
      'inventory.reserved',
      'payment.processed',
      'order.confirmed',
      'shipping.prepared',
      'shipping.dispatched',
      'notification.sent',
      'notification.sent',
      'notification.sent',
    ]);
    expect(order.sagas.map((saga) => [saga.sagaId, saga.status])).toEqual([
      ['order-processing', 'completed'],
    ]);
    expect(await stock('widget')).toEqual({
      productId: 'widget',
      available: before.available - 2,
      reserved: 0,
    });
    const charge = shop.services.paymentGateway?.charges.get(order.payment?.chargeId as string);
    expect(charge).toMatchObject({ amount: 3998, amountRefunded: 0 });
    const mail = shop.services.smtpSink?.messages.filter((message) => message.to.includes(order.email));
    expect(mail?.map((message) => message.subject)).toEqual([`Your order ${id} has shipped`]);
  });

  it('keeps the order history, its Inngest events and its saga state in the tenant’s event store', async () => {
    const id = await place();
    const order = await shop.settled(id);
    const store = shop.app.get(EventStore);

    // the history is the order's stream, as stored (the customer's data sealed there, opened for
    // the tenant): versions 1..n, ids derived from the order
    const stream = await store.readStream(`order-${id}`, { tenantId: 'acme' });
    const cipher = shop.app.get(PiiCipher);
    expect(order.history).toEqual(
      stream.events.map((event) => ({
        id: event.id,
        type: event.type,
        version: event.streamVersion,
        at: event.timestamp.toISOString(),
        data: cipher.revealAll(event.data),
      })),
    );
    expect(JSON.stringify(stream.events)).not.toContain(order.email);
    expect(order.history.map((event) => event.version)).toEqual(order.history.map((_, i) => i + 1));
    expect(stream.events[0]).toMatchObject({ id: `${id}:order.created`, type: 'order.created' });
    // another tenant sees none of it
    expect((await store.readStream(`order-${id}`, { tenantId: 'globex' })).events).toEqual([]);
    expect((await shop.request('GET', `/orders/${id}`, { tenant: 'globex' })).status).toBe(404);

    // the audit middleware: order.created as sent, then the run it started, linked by run id
    const names = order.inngestEvents.map((event) => event.name);
    expect(names.slice(0, 2)).toEqual(['order.created', 'inngest/run.started']);
    const started = order.inngestEvents.filter((event) => event.name === 'inngest/run.started');
    expect(started.length).toBeGreaterThanOrEqual(2); // the intake, then the order saga
    for (const run of started) expect(run.runId).toMatch(/\S/);
    expect(names).toContain('order.ready');

    // the saga's state lives in the event store too (SagaModule finds EventStoreModule)
    const [saga] = order.sagas;
    const sagaStream = await store.readStream(`saga-${saga.runId}`);
    expect(sagaStream.events.length).toBeGreaterThan(0);
  });

  it('backorders an order short of stock, and ships it when the product is restocked', async () => {
    const id = await place({ items: [{ productId: 'gizmo', quantity: 1 }] });
    // backordered orders are charged, then wait
    const waiting = await shop.reaches(
      id,
      'backordered',
      'acme',
      (order) => order.payment?.status === 'processed',
    );
    expect(waiting.backorder?.shortages).toEqual([{ productId: 'gizmo', requested: 1, available: 0 }]);
    await shop.waitingForRestock(id);

    const restock = await shop.request('POST', '/inventory/gizmo/restock', { body: { quantity: 1 } });
    expect(restock.status).toBe(201);
    const order = await shop.settled(id);
    expect(order.status).toBe('shipped');
    expect(order.sagas.map((saga) => [saga.sagaId, saga.status])).toEqual([
      ['order-backorder', 'completed'],
      ['order-processing', 'completed'],
    ]);
    expect(await stock('gizmo')).toMatchObject({ available: 0, reserved: 0 });
  });

  it('cancels and refunds a backordered order when no restock comes before the timeout', async () => {
    const id = await place({ items: [{ productId: 'gizmo', quantity: 3 }] }, 'globex');
    await shop.reaches(id, 'backordered', 'globex');
    const order = await shop.settled(id, 'globex');
    expect(order.status).toBe('cancelled');
    expect(order.cancellation).toMatchObject({ reason: 'backorder_timeout', refunded: true });
    expect(order.payment?.status).toBe('refunded');
    const charge = shop.services.paymentGateway?.charges.get(order.payment?.chargeId as string);
    expect(charge?.amountRefunded).toBe(3 * 12_500);
  });

  it('cancels a declined payment and gives the reserved stock back', async () => {
    const before = await stock('gadget');
    const id = await place({
      items: [{ productId: 'gadget', quantity: 1 }],
      paymentToken: 'tok_chargeDeclined',
    });
    const order = await shop.settled(id);
    expect(order.status).toBe('cancelled');
    expect(order.cancellation).toMatchObject({ reason: 'payment_declined', refunded: false });
    expect(order.payment).toMatchObject({ status: 'failed', failure: { code: 'card_declined' } });
    expect(order.reservation?.status).toBe('released');
    expect(order.history.map((event) => event.type)).toEqual([
      'order.created',
      'inventory.checked',
      'inventory.reserved',
      'payment.failed',
      'inventory.released',
      'order.cancelled',
    ]);
    expect(await stock('gadget')).toEqual(before);
    // the saga's events carry the tenant, so the order's audit has them (the last one is sent
    // after the saga saved its end, hence the wait)
    await waitFor('the saga events in the order audit', async () => {
      const { inngestEvents } = (await shop.request('GET', `/orders/${id}`)).body as typeof order;
      const names = inngestEvents.map((event) => event.name);
      return names.includes('saga/compensating') && names.includes('saga/compensated');
    });
  });

  it('refunds and releases when the carrier refuses the address', async () => {
    const before = await stock('widget');
    const id = await place({
      shippingAddress: { name: 'Nobody', line1: 'Nowhere', city: 'Void', postalCode: '00000', country: 'US' },
    });
    const order = await shop.settled(id);
    expect(order.status).toBe('cancelled');
    expect(order.cancellation).toMatchObject({ reason: 'shipping_failed', refunded: true });
    expect(order.payment?.status).toBe('refunded');
    expect(await stock('widget')).toEqual(before);
  });

  it('refuses an order above the tenant’s fraud limit, charging nothing', async () => {
    const id = await place({ items: [{ productId: 'gadget', quantity: 25 }] }, 'globex');
    const order = await shop.settled(id, 'globex');
    expect(order.status).toBe('cancelled');
    expect(order.cancellation?.reason).toBe('fraud_suspected');
    expect(order.payment).toBeUndefined();
  });

  it('cancels on request: a backordered order is refunded and its saga stops', async () => {
    const id = await place({ items: [{ productId: 'gizmo', quantity: 2 }] });
    await shop.waitingForRestock(id);
    const cancel = await shop.request('POST', `/orders/${id}/cancel`);
    expect(cancel.status).toBe(202);
    const order = await shop.settled(id);
    expect(order.status).toBe('cancelled');
    expect(order.sagas.map((saga) => [saga.sagaId, saga.status])).toEqual([['order-backorder', 'cancelled']]);
    expect(order.cancellation).toMatchObject({ reason: 'customer_request', refunded: true });
    expect(order.payment?.status).toBe('refunded');
  });

  it('cancels an order the moment it is placed: nothing is left charged or reserved', async () => {
    const before = await stock('widget');
    const id = await place();
    const cancel = await shop.request('POST', `/orders/${id}/cancel`);
    expect(cancel.status).toBe(202);
    const order = await shop.settled(id);
    expect(order.status).toBe('cancelled');
    expect(order.cancellation?.reason).toBe('customer_request');
    expect(order.payment?.status ?? 'none').not.toBe('processed');
    expect(await stock('widget')).toEqual(before);
  });

  it('refuses to cancel a shipped order with 409', async () => {
    const id = await place();
    await shop.settled(id);
    const { status, body } = await shop.request('POST', `/orders/${id}/cancel`);
    expect(status).toBe(409);
    expect(body.code).toBe('ORDER_NOT_CANCELLABLE');
  });
  const PAYMENT_BREAKER = { name: 'payment-gateway' };
  const paymentCalls = (outcome: string) =>
    shop.metric('circuit_breaker_calls_total', { ...PAYMENT_BREAKER, outcome });

  it('does not open the payment breaker for declined cards', async () => {
    const ignoredBefore = await paymentCalls('ignored');
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => place({ paymentToken: 'tok_chargeDeclined' })),
    );
    for (const id of ids) {
      expect((await shop.settled(id)).cancellation?.reason).toBe('payment_declined');
    }
    // six declines, more than the breaker's minimum of five calls, and none of them counted
    expect(await paymentCalls('ignored')).toBe(ignoredBefore + 6);
    expect(await shop.metric('circuit_breaker_state', PAYMENT_BREAKER)).toBe(0);
    expect(await shop.breakerHealth()).toEqual({
      status: 200,
      check: { status: 'up', open: [], breakers: { 'payment-gateway': 'closed', carrier: 'closed' } },
    });
  });

  /** The failed charge attempts of each order's saga, as the engine recorded them (oldest first). */
  const failedCharges = async (ids: string[]) => {
    const runs = await shop.engine.listRuns({ functionId: 'order-processing' });
    return ids.map((id) => {
      const run = runs.find((candidate) => (candidate.event.data as { orderId: string }).orderId === id);
      return (run?.timeline ?? [])
        .filter((step) => /^charge-payment(#\d+)?$/.test(step.name))
        .map((step) => openStepOutput(shop.app.get(PiiCipher), step.output) as { ok: boolean; name?: string })
        .filter((attempt) => !attempt.ok)
        .map((attempt) => attempt.name);
    });
  };

  it('a gateway outage opens the payment breaker; orders wait and ship once it recovers', async () => {
    await shop.control('paymentGateway', { outage: true });
    let ids: string[];
    try {
      ids = await Promise.all(Array.from({ length: 6 }, () => place()));

      const outage = await waitFor('/health/detailed to report the payment breaker open', async () => {
        const health = await shop.breakerHealth();
        return health.check.open.includes('payment-gateway') && health;
      });
      expect(outage).toMatchObject({ status: 503, check: { status: 'down', open: ['payment-gateway'] } });
      await waitFor(
        '/metrics to show the payment breaker open (1)',
        async () => (await shop.metric('circuit_breaker_state', PAYMENT_BREAKER)) === 1,
      );
      expect(await paymentCalls('failure')).toBeGreaterThanOrEqual(5);

      // Four failed attempts would end a saga step with the default retries; these orders go on.
      const failures = await waitFor('every order to fail four charge attempts', async () => {
        const attempts = await failedCharges(ids);
        return attempts.every((failed) => failed.length >= 4) && attempts;
      });
      for (const id of ids) {
        const { body: order } = await shop.request('GET', `/orders/${id}`);
        expect(order.status).toBe('pending');
        expect(order.payment).toBeUndefined();
      }
      // first the gateway's 503, then the open breaker's rejection: Inngest's RetryAfterError
      expect(failures.map((failed) => failed[0])).toContain('PaymentGatewayError');
      expect(failures.flat()).toContain('RetryAfterError');
      expect(await paymentCalls('rejected')).toBeGreaterThan(0);
    } finally {
      await shop.control('paymentGateway', { outage: false });
    }

    for (const id of ids) {
      const order = await shop.settled(id);
      expect(order.status).toBe('shipped');
      expect(order.history.map((event) => event.type)).not.toContain('order.cancelled');
      expect(order.payment).toMatchObject({ status: 'processed', amount: 1999 });
      const charge = shop.services.paymentGateway?.charges.get(order.payment?.chargeId as string);
      expect(charge).toMatchObject({ amount: 1999, amountRefunded: 0 });
    }
    const recovered = await waitFor('the payment breaker to close', async () => {
      const health = await shop.breakerHealth();
      return health.check.breakers['payment-gateway'] === 'closed' && health;
    });
    expect(recovered).toMatchObject({ status: 200, check: { status: 'up', open: [] } });
    expect(await shop.metric('circuit_breaker_state', PAYMENT_BREAKER)).toBe(0);
  }, 60_000);
});
