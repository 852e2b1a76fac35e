import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startTestShop, type TestShop } from '../support/test-shop';

/**
 * The request bodies of the three curl workflows of the README the example grew from, as its users
 * send them: to `POST /orders`, with no `x-tenant-id` header.
 */
const ORIGINAL_WORKFLOWS = {
  successfulOrder: {
    customerId: 'cust-123',
    items: [{ productId: 'prod-1', quantity: 2, price: 29.99 }],
    payment: { method: 'card', cardToken: 'tok_visa', amount: 59.98 },
    shipping: { address: '123 Main St, City, State 12345', method: 'standard' },
  },
  inventoryIssue: {
    customerId: 'cust-123',
    items: [{ productId: 'out-of-stock', quantity: 10, price: 99.99 }],
  },
  paymentFailure: {
    customerId: 'cust-123',
    items: [{ productId: 'prod-1', quantity: 1, price: 29.99 }],
    payment: { method: 'card', cardToken: 'tok_chargeDeclined', amount: 29.99 },
  },
};

describe.each<Backend>(['pglite', 'postgres'])('the original example’s workflows on %s', (backend) => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop(backend);
  });
  afterAll(() => shop?.close());

  /** Places the order as the original README does, without a tenant header; resolves with its id. */
  const place = async (body: unknown) => {
    const { status, body: order } = await shop.request('POST', '/orders', { body, tenant: null });
    expect(status).toBe(202);
    expect(order).toMatchObject({ id: expect.stringMatching(/^ord_/), status: 'pending', tenantId: 'acme' });
    return order.id as string;
  };
  /** `GET /orders/:id` without a tenant header, as the original README's users read an order. */
  const read = async (id: string) => {
    const { status, body } = await shop.request('GET', `/orders/${id}`, { tenant: null });
    expect(status).toBe(200);
    return body;
  };
  const stock = async (productId: string) =>
    (await shop.request('GET', `/inventory/${productId}`, { tenant: null })).body;

  it('1. ships the successful order, to the one-line address, charging the amount it names', async () => {
    const before = await stock('prod-1');
    const id = await place(ORIGINAL_WORKFLOWS.successfulOrder);
    const order = await shop.settled(id);

    expect(order.status).toBe('shipped');
    expect((await read(id)).status).toBe('shipped');
    expect(order).toMatchObject({
      customerId: 'cust-123',
      lines: [{ productId: 'prod-1', quantity: 2, unitPrice: 2999 }],
      total: 5998,
      currency: 'USD',
      payment: { status: 'processed', amount: 5998 },
      reservation: { status: 'fulfilled' },
      shipment: { status: 'dispatched' },
      shippingAddress: {
        name: 'Casey Jones',
        line1: '123 Main St',
        city: 'City, State',
        postalCode: '12345',
        country: 'US',
      },
    });
    expect(shop.services.paymentGateway?.charges.get(order.payment?.chargeId as string)?.amount).toBe(5998);
    // the email of the customer's account gets the shipping notice
    const mail = shop.services.smtpSink?.messages.filter((message) =>
      message.to.includes('cust-123@example.com'),
    );
    expect(mail?.map((message) => message.subject)).toContain(`Your order ${id} has shipped`);
    expect(await stock('prod-1')).toEqual({ ...before, available: before.available - 2 });
  });

  it('2. backorders the out-of-stock order, charges the card on file, and ships it after a restock', async () => {
    const id = await place(ORIGINAL_WORKFLOWS.inventoryIssue);
    const waiting = await shop.reaches(
      id,
      'backordered',
      'acme',
      (order) => order.payment?.status === 'processed',
    );
    expect((await read(id)).status).toBe('backordered');
    expect(waiting.backorder?.shortages).toEqual([
      { productId: 'out-of-stock', requested: 10, available: 0 },
    ]);
    expect(waiting.payment).toMatchObject({ status: 'processed', amount: 99_990 });

    await shop.waitingForRestock(id);
    const restock = await shop.request('POST', '/inventory/out-of-stock/restock', {
      body: { quantity: 10 },
      tenant: null,
    });
    expect(restock.status).toBe(201);
    const order = await shop.settled(id);
    expect(order.status).toBe('shipped');
    expect((await read(id)).status).toBe('shipped');
    // shipped to the address on the customer's account
    expect(order.shippingAddress).toMatchObject({ line1: '42 Elm Street', postalCode: '62704' });
    expect(await stock('out-of-stock')).toEqual({ productId: 'out-of-stock', available: 0, reserved: 0 });
  });

  it('3. cancels the order whose card is declined, and gives its stock back', async () => {
    const before = await stock('prod-1');
    const id = await place(ORIGINAL_WORKFLOWS.paymentFailure);
    const order = await shop.settled(id);

    expect(order.status).toBe('cancelled');
    expect((await read(id)).status).toBe('cancelled');
    expect(order).toMatchObject({
      cancellation: { reason: 'payment_declined', refunded: false },
      payment: { status: 'failed', failure: { code: 'card_declined' } },
      reservation: { status: 'released' },
    });
    expect(order.history.map((event) => event.type)).toContain('inventory.released');
    expect(await stock('prod-1')).toEqual(before);
    expect(
      (await shop.request('GET', '/inventory/prod-1/reservations', { tenant: null })).body.items,
    ).toEqual([]);
  });
});

describe('a shop that requires the tenant header', () => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop('pglite', { REQUIRE_TENANT_HEADER: 'true' });
  });
  afterAll(() => shop?.close());

  it('refuses the original example’s order without the header, storing nothing', async () => {
    const { status, body } = await shop.request('POST', '/orders', {
      body: ORIGINAL_WORKFLOWS.successfulOrder,
      tenant: null,
    });
    expect(status).toBe(400);
    expect(body.code).toBe('TENANT_MISSING');
    const orders = await shop.request('GET', '/orders', { tenant: 'acme' });
    expect(orders.body.items).toEqual([]);
  });

  it('serves the same order with the header', async () => {
    const { status, body } = await shop.request('POST', '/orders', {
      body: ORIGINAL_WORKFLOWS.successfulOrder,
      tenant: 'acme',
    });
    expect(status).toBe(202);
    expect((await shop.settled(body.id)).status).toBe('shipped');
  });

  it('still answers health and metrics without a tenant', async () => {
    expect((await shop.request('GET', '/health', { tenant: null })).status).toBe(200);
    expect((await shop.request('GET', '/metrics', { tenant: null })).status).toBe(200);
  });
});
