import { EventStore } from '@sagaline/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
          message: 'unknown product "unicorn"; Acme Corp sells widget, gadget, gizmo, prod-1, out-of-stock',
        },
      ]);
    });

    it('validates query strings too', async () => {
      const { status, body } = await shop.request('GET', '/orders?status=lost&limit=500');
      expect(status).toBe(400);
      expect(body.errors.map((error: { field: string }) => error.field)).toEqual(['status', 'limit']);
    });

    it('refuses a client price or amount that is not the catalog’s, naming the catalog’s, and stores nothing', async () => {
      const before = await orderCount();
      const { status, body } = await shop.request('POST', '/orders', {
        body: orderBody({
          paymentToken: undefined,
          items: [{ productId: 'prod-1', quantity: 2, price: 0.99 }],
          payment: { method: 'card', cardToken: 'tok_visa', amount: 1.98 },
        }),
      });
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        {
          field: 'items.0.price',
          message: 'prod-1 costs 29.99 USD in the catalog, not 0.99; send 29.99 or leave price out',
        },
        {
          field: 'payment.amount',
          message:
            "the order's total is 59.98 USD at catalog prices, not 1.98; send 59.98 or leave amount out",
        },
      ]);
      expect(await orderCount()).toBe(before);
    });

    it('prices in the tenant’s currency when checking a client price', async () => {
      const { status, body } = await shop.request('POST', '/orders', {
        body: orderBody({ items: [{ productId: 'widget', quantity: 1, price: 19.99 }] }),
        tenant: 'globex',
      });
      expect(status).toBe(202);
      expect(body).toMatchObject({ currency: 'EUR', total: 1999 });
    });

    it('merges lines of one product and refuses the merged line over the per-product limit', async () => {
      const before = await orderCount();
      const { status, body } = await shop.request('POST', '/orders', {
        body: orderBody({
          items: [
            { productId: 'widget', quantity: 100 },
            { productId: 'widget', quantity: 100 },
          ],
        }),
      });
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        {
          field: 'items.0.quantity',
          message: 'widget is ordered 200 times on items 0, 1; an order holds at most 100 of a product',
        },
      ]);
      expect(await orderCount()).toBe(before);
      const merged = await shop.request('POST', '/orders', {
        body: orderBody({
          items: [
            { productId: 'widget', quantity: 2 },
            { productId: 'widget', quantity: 3 },
          ],
        }),
      });
      expect(merged.body.lines).toEqual([{ productId: 'widget', quantity: 5, unitPrice: 1999 }]);
    });

    it('refuses a guest order that names no email, payment or shipping, storing nothing', async () => {
      const before = await orderCount();
      const { status, body } = await shop.request('POST', '/orders', {
        body: { customerId: `guest-${backend}`, items: [{ productId: 'widget', quantity: 1 }] },
      });
      expect(status).toBe(400);
      expect(body.errors.map((error: { field: string }) => error.field)).toEqual([
        'email',
        'payment',
        'shipping',
      ]);
      expect(await orderCount()).toBe(before);
    });
  });

  describe('text that cannot be stored', () => {
    const exposures = async () =>
      (
        await shop.app
          .get(EventStore)
          .readAll({ tenantId: 'acme', types: ['experiment.exposed'], maxCount: 100_000 })
      ).events.length;

    it.each([
      ['a NUL', { customerId: 'nul\u0000customer' }, 'customerId', 'NUL'],
      [
        'a lone surrogate',
        {
          shippingAddress: {
            name: 'Ada',
            line1: '1 Loop Road',
            city: 'Spring\ud800field',
            postalCode: '12345',
            country: 'US',
          },
        },
        'shippingAddress.city',
        'surrogate',
      ],
      [
        'a NUL in a product id',
        { items: [{ productId: 'widget\u0000', quantity: 1 }] },
        'items.0.productId',
        'NUL',
      ],
    ])(
      'answers 400 for %s in an order, naming the field, and stores no order and no event',
      async (_, overrides, field, problem) => {
        const [ordersBefore, exposuresBefore] = [await orderCount(), await exposures()];
        const { status, body } = await shop.request('POST', '/orders', {
          body: orderBody(overrides),
        });
        expect(status).toBe(400);
        expect(body.code).toBe('VALIDATION_FAILED');
        expect(body.errors).toEqual([{ field, message: expect.stringContaining(problem) }]);
        expect(await orderCount()).toBe(ordersBefore);
        expect(await exposures()).toBe(exposuresBefore);
      },
    );

    it('answers 400 for a NUL in a route parameter or a query string, naming it', async () => {
      const param = await shop.request('GET', '/orders/ord_%00');
      expect(param.status).toBe(400);
      expect(param.body.errors).toEqual([{ field: 'id', message: expect.stringContaining('NUL') }]);
      const query = await shop.request('GET', '/orders?customerId=a%00b');
      expect(query.status).toBe(400);
      expect(query.body.errors).toEqual([{ field: 'customerId', message: expect.stringContaining('NUL') }]);
    });

    it('answers 400 for a lone surrogate in a payment or a reservation, charging and reserving nothing', async () => {
      const charges = shop.services.paymentGateway?.charges.size;
      const payment = await shop.request('POST', '/payments', {
        body: { amount: 100, paymentToken: 'tok_visa\ud800' },
      });
      expect(payment.status).toBe(400);
      expect(payment.body.errors).toEqual([
        { field: 'paymentToken', message: expect.stringContaining('surrogate') },
      ]);
      expect(shop.services.paymentGateway?.charges.size).toBe(charges);

      const before = (await shop.request('GET', '/inventory/gadget')).body;
      const reservation = await shop.request('POST', '/inventory/gadget/reserve', {
        body: { quantity: 1, reference: 'showroom\u0000' },
      });
      expect(reservation.status).toBe(400);
      expect(reservation.body.errors).toEqual([
        { field: 'reference', message: expect.stringContaining('NUL') },
      ]);
      expect((await shop.request('GET', '/inventory/gadget')).body).toEqual(before);
    });
  });

  describe('tenants', () => {
    it('serves a request without a tenant header as the default tenant, and refuses an unknown one', async () => {
      const { body: placed } = await shop.request('POST', '/orders', { body: orderBody(), tenant: null });
      expect(placed.tenantId).toBe('acme');
      expect((await shop.request('GET', `/orders/${placed.id}`, { tenant: 'acme' })).status).toBe(200);
      expect((await shop.request('GET', '/analytics', { tenant: null })).body.tenant).toBe('acme');
      const unknown = await shop.request('GET', '/orders', { tenant: 'initech' });
      expect(unknown.status).toBe(400);
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

    it('shows a reservation not released among the product’s reservations; releasing twice changes nothing', async () => {
      const before = (await shop.request('GET', '/inventory/gadget')).body;
      const reserved = await shop.request('POST', '/inventory/gadget/reserve', {
        body: { quantity: 1, reference: 'showroom' },
      });
      expect(reserved.body).toMatchObject({ id: expect.stringMatching(/^res_/), status: 'reserved' });
      const open = (await shop.request('GET', '/inventory/gadget/reservations')).body.items;
      expect(open).toContainEqual({
        id: reserved.body.id,
        reference: 'showroom',
        lines: [{ productId: 'gadget', quantity: 1 }],
        status: 'reserved',
      });
      const release = () =>
        shop.request('POST', '/inventory/gadget/release', { body: { reservationId: reserved.body.id } });
      const first = await release();
      const second = await release();
      expect(first.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect((await shop.request('GET', '/inventory/gadget')).body).toEqual(before);
      const after = (await shop.request('GET', '/inventory/gadget/reservations')).body.items;
      expect(after.map((reservation: { id: string }) => reservation.id)).not.toContain(reserved.body.id);
    });

    it('reserves once for a reserve retried with the same Idempotency-Key', async () => {
      const before = (await shop.request('GET', '/inventory/gadget')).body;
      const headers = { 'idempotency-key': `reserve-${backend}-1` };
      const first = await shop.request('POST', '/inventory/gadget/reserve', {
        body: { quantity: 1 },
        headers,
      });
      const second = await shop.request('POST', '/inventory/gadget/reserve', {
        body: { quantity: 1 },
        headers,
      });
      expect(second.body.id).toBe(first.body.id);
      expect((await shop.request('GET', '/inventory/gadget')).body.reserved).toBe(before.reserved + 1);
      await shop.request('POST', '/inventory/gadget/release', { body: { reservationId: first.body.id } });
    });

    it('refuses to release a reservation under a product it does not hold, or one that does not exist', async () => {
      const reserved = await shop.request('POST', '/inventory/gadget/reserve', { body: { quantity: 1 } });
      const wrong = await shop.request('POST', '/inventory/widget/release', {
        body: { reservationId: reserved.body.id },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors).toEqual([
        {
          field: 'reservationId',
          message: `${reserved.body.id} holds gadget, not widget: release it under one of those`,
        },
      ]);
      const missing = await shop.request('POST', '/inventory/gadget/release', {
        body: { reservationId: 'res_nope' },
      });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('RESERVATION_NOT_FOUND');
      await shop.request('POST', '/inventory/gadget/release', { body: { reservationId: reserved.body.id } });
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

    it('takes a payment in the original example’s shape, the amount in the currency’s units', async () => {
      const paid = await shop.request('POST', '/payments', {
        body: { method: 'card', cardToken: 'tok_visa', amount: 12.34 },
        tenant: null,
      });
      expect(paid.status).toBe(201);
      expect(paid.body).toMatchObject({ status: 'processed', amount: 1234, currency: 'USD' });
      expect(shop.services.paymentGateway?.charges.get(paid.body.chargeId)?.amount).toBe(1234);
      const refund = () => shop.request('POST', `/payments/${paid.body.id}/refund`, { tenant: null });
      expect((await refund()).body.status).toBe('refunded');
      expect((await refund()).body.status).toBe('refunded');
      expect(shop.services.paymentGateway?.charges.get(paid.body.chargeId)?.amountRefunded).toBe(1234);
    });

    it('refuses a payment without a token, with both tokens, or with more decimals than the currency has', async () => {
      const fields = async (body: unknown) =>
        (await shop.request('POST', '/payments', { body })).body.errors.map(
          (error: { field: string }) => error.field,
        );
      expect(await fields({ amount: 5 })).toEqual(['cardToken']);
      expect(await fields({ amount: 5, cardToken: 'tok_visa', paymentToken: 'tok_visa' })).toEqual([
        'cardToken',
      ]);
      expect(await fields({ amount: 12.345, cardToken: 'tok_visa' })).toEqual(['amount']);
      expect(await fields({ amount: 12.5, paymentToken: 'tok_visa' })).toEqual(['amount']);
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
