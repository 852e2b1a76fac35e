import { EventStore } from '@sagaline/event-store';
import { InngestService } from '@sagaline/nestjs-inngest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Backend, orderBody, startTestShop, type TestShop, waitFor } from '../support/test-shop';

describe.each<Backend>(['pglite', 'postgres'])('the shop API on %s', (backend) => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop(backend);
  });
  afterAll(() => shop?.close());

  const orderCount = async (tenant = 'acme') =>
    (await shop.request('GET', '/analytics', { tenant })).body.orders.total;

  describe('validation', () => {
    it('answers 400 naming every bad field, and stores nothing', async () => {
      const before = await orderCount();
      const { status, body } = await shop.request('POST', '/orders', {
        body: orderBody({
          email: 'not-an-email',
          items: [{ productId: 'widget', quantity: 0 }],
          extra: true,
        }),
      });
      expect(status).toBe(400);
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
        '',
        'email',
        'items.0.quantity',
      ]);
      expect(body.errors.find((error: { field: string }) => error.field === '').message).toContain('extra');
      expect(await orderCount()).toBe(before);
    });

    it('names an unknown product and what the shop sells', async () => {
      const { status, body } = await shop.request('POST', '/orders', {
        body: orderBody({
          items: [
            { productId: 'widget', quantity: 1 },
            { productId: 'unicorn', quantity: 1 },
          ],
        }),
      });
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        {
          field: 'items.1.productId',
          message: 'unknown product "unicorn"; Acme Corp sells widget, gadget, gizmo',
        },
      ]);
    });

    it('validates query strings too', async () => {
      const { status, body } = await shop.request('GET', '/orders?status=lost&limit=500');
      expect(status).toBe(400);
      expect(body.errors.map((error: { field: string }) => error.field)).toEqual(['status', 'limit']);
    });
  });

  describe('tenants', () => {
    it('refuses a request without a tenant, or with an unknown one', async () => {
      const missing = await shop.request('GET', '/orders', { tenant: null });
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('TENANT_MISSING');
      const unknown = await shop.request('GET', '/orders', { tenant: 'initech' });
      expect(unknown.body.code).toBe('TENANT_UNKNOWN');
    });

    it('never shows one tenant another tenant’s orders', async () => {
      const { body: placed } = await shop.request('POST', '/orders', { body: orderBody(), tenant: 'acme' });
      expect((await shop.request('GET', `/orders/${placed.id}`, { tenant: 'globex' })).status).toBe(404);
      const globexOrders = (await shop.request('GET', '/orders?limit=100', { tenant: 'globex' })).body.items;
      expect(globexOrders.map((order: { id: string }) => order.id)).not.toContain(placed.id);
      expect((await shop.request('GET', `/orders/${placed.id}`, { tenant: 'acme' })).status).toBe(200);
    });

    it('prices in the tenant’s currency', async () => {
      const { body } = await shop.request('POST', '/orders', { body: orderBody(), tenant: 'globex' });
      expect(body.currency).toBe('EUR');
      const order = await shop.settled(body.id, 'globex');
      // globex notifies by email only
      expect(order.notifications.map((notification) => notification.channel)).toEqual(['email']);
    });
  });

  describe('idempotency keys', () => {
    it('replays POST /orders with the same key: one order, the same answer', async () => {
      const body = orderBody();
      const headers = { 'idempotency-key': `order-${backend}-1` };
      const first = await shop.request('POST', '/orders', { body, headers });
      const second = await shop.request('POST', '/orders', { body, headers });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const mine = await shop.request('GET', `/orders?customerId=${body.customerId}`);
      expect(mine.body.items).toHaveLength(1);
    });

    it('refuses the same key with a different body (422)', async () => {
      const headers = { 'idempotency-key': `order-${backend}-2` };
      await shop.request('POST', '/orders', { body: orderBody(), headers });
      const reused = await shop.request('POST', '/orders', { body: orderBody(), headers });
      expect(reused.status).toBe(422);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('frees the key of a request that failed validation', async () => {
      const headers = { 'idempotency-key': `order-${backend}-3` };
      const bad = await shop.request('POST', '/orders', { body: orderBody({ email: 'x' }), headers });
      expect(bad.status).toBe(400);
      const good = await shop.request('POST', '/orders', { body: orderBody(), headers });
      expect(good.status).toBe(202);
    });

    it('charges once for POST /payments retried with the same key', async () => {
      const headers = { 'idempotency-key': `payment-${backend}-1` };
      const body = { amount: 1234, paymentToken: 'tok_visa' };
      const first = await shop.request('POST', '/payments', { body, headers });
      const second = await shop.request('POST', '/payments', { body, headers });
      expect(first.status).toBe(201);
      expect(second.body).toEqual(first.body);
      const charges = [...(shop.services.paymentGateway?.charges.values() ?? [])].filter(
        (c) => c.amount === 1234,
      );
      expect(charges).toHaveLength(1);
    });
  });

  describe('orders, inventory and payments', () => {
    it('answers 503 and withdraws the order when Inngest refuses order.created, keeping why in its stream', async () => {
      const before = await orderCount();
      const send = vi
        .spyOn(shop.app.get(InngestService), 'send')
        .mockRejectedValueOnce(new Error('event API down'));
      try {
        const { status, body } = await shop.request('POST', '/orders', { body: orderBody() });
        expect(status).toBe(503);
        expect(body.message).toBe('The order pipeline is unavailable; nothing was stored. Retry shortly.');
      } finally {
        send.mockRestore();
      }
      expect(await orderCount()).toBe(before);
      const { events } = await shop.app
        .get(EventStore)
        .readAll({ tenantId: 'acme', types: ['order.discarded'], maxCount: 10_000 });
      const discarded = events.at(-1);
      if (!discarded) throw new Error('no order.discarded event was stored');
      expect(discarded.data).toMatchObject({
        tenantId: 'acme',
        detail: 'order.created could not be sent: event API down',
      });
      const orderId = (discarded.data as { orderId: string }).orderId;
      const stream = await shop.app.get(EventStore).readStream(`order-${orderId}`, { tenantId: 'acme' });
      expect(stream.events.map((event) => event.type)).toEqual(['order.created', 'order.discarded']);
      expect((await shop.request('GET', `/orders/${orderId}`)).status).toBe(404);
    });

    it('lists orders newest first, filtered by status and customer, page by page', async () => {
      const customerId = `pager-${backend}`;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { body } = await shop.request('POST', '/orders', { body: orderBody({ customerId }) });
        ids.push(body.id);
      }
      for (const id of ids) await shop.settled(id);
      const page1 = await shop.request('GET', `/orders?customerId=${customerId}&status=shipped&limit=2`);
      expect(page1.body.items.map((order: { id: string }) => order.id)).toEqual([ids[2], ids[1]]);
      const page2 = await shop.request(
        'GET',
        `/orders?customerId=${customerId}&limit=2&after=${page1.body.nextCursor}`,
      );
      expect(page2.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    });

    it('reserves and releases stock by hand', async () => {
      const before = (await shop.request('GET', '/inventory/gadget')).body;
      const reserved = await shop.request('POST', '/inventory/gadget/reserve', { body: { quantity: 2 } });
      expect(reserved.status).toBe(201);
      expect((await shop.request('GET', '/inventory/gadget')).body).toMatchObject({
        available: before.available - 2,
        reserved: before.reserved + 2,
      });
      const released = await shop.request('POST', '/inventory/gadget/release', {
        body: { reservationId: reserved.body.id },
      });
      expect(released.body.status).toBe('released');
      expect((await shop.request('GET', '/inventory/gadget')).body).toEqual(before);
    });

    it('refuses to reserve more than is available (409), reserving nothing', async () => {
      const before = (await shop.request('GET', '/inventory/gadget')).body;
      const { status, body } = await shop.request('POST', '/inventory/gadget/reserve', {
        body: { quantity: 10_000 },
      });
      expect(status).toBe(409);
      expect(body).toMatchObject({
        code: 'OUT_OF_STOCK',
        shortages: [{ productId: 'gadget', requested: 10_000 }],
      });
      expect((await shop.request('GET', '/inventory/gadget')).body).toEqual(before);
    });

    it('takes, refunds and shows a payment; a declined card gets 402', async () => {
      const paid = await shop.request('POST', '/payments', {
        body: { amount: 500, paymentToken: 'tok_visa' },
      });
      expect(paid.body).toMatchObject({ status: 'processed', amount: 500, currency: 'USD' });
      const refunded = await shop.request('POST', `/payments/${paid.body.id}/refund`);
      expect(refunded.body.status).toBe('refunded');
      expect((await shop.request('GET', `/payments/${paid.body.id}`)).body.status).toBe('refunded');
      const declined = await shop.request('POST', '/payments', {
        body: { amount: 500, paymentToken: 'tok_chargeDeclined' },
      });
      expect(declined.status).toBe(402);
      expect(declined.body).toMatchObject({ code: 'PAYMENT_DECLINED', declineCode: 'card_declined' });
    });

    it('answers 404 for what does not exist', async () => {
      expect((await shop.request('GET', '/orders/ord_nope')).body.code).toBe('ORDER_NOT_FOUND');
      expect((await shop.request('GET', '/payments/pay_nope')).body.code).toBe('PAYMENT_NOT_FOUND');
      expect((await shop.request('GET', '/inventory/unicorn')).body.code).toBe('PRODUCT_NOT_FOUND');
    });
  });

  describe('operations', () => {
    it('reports health per dependency', async () => {
      expect((await shop.request('GET', '/health', { tenant: null })).body).toEqual({ status: 'ok' });
      const { status, body } = await shop.request('GET', '/health/detailed', { tenant: null });
      expect(status).toBe(200);
      expect(body.info).toMatchObject({
        database: { status: 'up', kind: backend },
        inngest: { status: 'up', mode: 'embedded', synced: true },
        smtp: { status: 'up' },
      });
    });

    it('exposes Prometheus metrics: HTTP, orders by outcome, saga durations', async () => {
      const { body } = await shop.request('GET', '/metrics', { tenant: null });
      expect(body).toMatch(
        /http_request_duration_seconds_count\{method="POST",route="\/orders",status="202"\} \d+/,
      );
      expect(body).toMatch(/shop_orders_finished_total\{tenant="acme",outcome="shipped",reason=""\} \d+/);
      expect(body).toContain('shop_order_saga_duration_seconds_bucket');
    });

    it('reports business analytics from the orders', async () => {
      const { body } = await shop.request('GET', '/analytics');
      expect(body.tenant).toBe('acme');
      expect(body.orders.byStatus.shipped).toBeGreaterThan(0);
      expect(body.revenue).toBeGreaterThan(0);
      expect(body.fulfilmentRate).toBeGreaterThan(0);
    });

    it('reports the experiment: exposures, conversions, rates and a significance test', async () => {
      const { body } = await shop.request('GET', '/analytics/experiments');
      const [experiment] = body.experiments;
      expect(experiment).toMatchObject({ experiment: 'checkout-flow', control: 'control' });
      const exposures = experiment.variants.reduce(
        (sum: number, v: { exposures: number }) => sum + v.exposures,
        0,
      );
      const conversions = experiment.variants.reduce(
        (sum: number, v: { conversions: number }) => sum + v.conversions,
        0,
      );
      expect(exposures).toBeGreaterThan(0);
      expect(conversions).toBeGreaterThan(0);
      const treatment = experiment.variants.find((v: { variant: string }) => v.variant === 'streamlined');
      expect(treatment.conversionRate).toBeCloseTo(treatment.conversions / treatment.exposures, 10);
      expect(treatment).toHaveProperty('significance');

      // the report is the projection of the experiment events in the tenant's event store; orders
      // of earlier tests may still convert, so the events are read between two equal reports
      const report = async () => (await shop.request('GET', '/analytics/experiments')).body.experiments[0];
      const { stable, events } = await waitFor('no experiment event between two reports', async () => {
        const first = await report();
        const { events } = await shop.app.get(EventStore).readAll({
          tenantId: 'acme',
          types: ['experiment.exposed', 'experiment.converted'],
          maxCount: 10_000,
        });
        const second = await report();
        return JSON.stringify(first) === JSON.stringify(second) && { stable: second, events };
      });
      const counted = (type: string, variant: string) =>
        events.filter((e) => e.type === type && (e.data as { variant: string }).variant === variant).length;
      for (const variant of stable.variants as {
        variant: string;
        exposures: number;
        conversions: number;
      }[]) {
        expect(variant.exposures).toBe(counted('experiment.exposed', variant.variant));
        expect(variant.conversions).toBe(counted('experiment.converted', variant.variant));
      }
      // one exposure per customer however many orders they place
      const customers = events.filter((e) => e.type === 'experiment.exposed').map((e) => e.streamId);
      expect(new Set(customers).size).toBe(customers.length);
    });
  });
});
