import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkOrdersService } from '../../src/orders/bulk-orders.service';
import { MAX_BULK_ORDERS } from '../../src/orders/orders.schemas';
import { TenantRegistry } from '../../src/tenancy/tenant.registry';
import { type Backend, orderBody, startTestShop, type TestShop } from '../support/test-shop';

describe.each<Backend>(['pglite', 'postgres'])('POST /orders/bulk on %s', (backend) => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop(backend);
  });
  afterAll(() => shop?.close());

  const bulk = (orders: unknown[], headers: Record<string, string> = {}) =>
    shop.request('POST', '/orders/bulk', { body: { orders }, headers });
  const ordersOf = async (customerId: string) =>
    (await shop.request('GET', `/orders?customerId=${customerId}`)).body.items as { id: string }[];

  it('accepts a bulk of mixed orders, and each reaches its own final state', async () => {
    const bodies = [
      orderBody({ items: [{ productId: 'widget', quantity: 2 }] }),
      orderBody({ items: [{ productId: 'gizmo', quantity: 1 }] }),
      orderBody({ items: [{ productId: 'widget', quantity: 1 }], paymentToken: 'tok_chargeDeclined' }),
      // the original example's spelling, completed from the account of cust-123
      {
        customerId: 'cust-123',
        items: [{ productId: 'prod-1', quantity: 1, price: 29.99 }],
        payment: { method: 'card', cardToken: 'tok_visa', amount: 29.99 },
      },
      ...Array.from({ length: 6 }, () => orderBody()),
    ];
    const { status, body } = await bulk(bodies);
    expect(status).toBe(202);
    expect(body.orders).toHaveLength(bodies.length);
    expect(new Set(body.orders.map((order: { id: string }) => order.id)).size).toBe(bodies.length);
    expect(body.orders[0]).toMatchObject({ status: 'pending', total: 2 * 1999, currency: 'USD' });
    expect(body.orders[3]).toMatchObject({ total: 2999 });
    const ids: string[] = body.orders.map((order: { id: string }) => order.id);

    // in request order: the order at index i is the one the i-th body describes
    for (const [index, id] of ids.entries()) {
      const { body: order } = await shop.request('GET', `/orders/${id}`);
      expect(order.customerId).toBe(bodies[index].customerId);
    }

    const [inStock, shortOfStock, declined, seedSpelling, ...others] = ids;
    expect((await shop.settled(inStock)).status).toBe('shipped');
    // backordered, then cancelled: no restock comes within the test shop's 3 s
    const backordered = await shop.settled(shortOfStock);
    expect(backordered.backorder?.shortages).toEqual([{ productId: 'gizmo', requested: 1, available: 0 }]);
    expect(backordered.cancellation).toMatchObject({ reason: 'backorder_timeout', refunded: true });
    const refused = await shop.settled(declined);
    expect(refused.cancellation?.reason).toBe('payment_declined');
    expect(refused.reservation?.status).toBe('released');
    expect((await shop.settled(seedSpelling)).status).toBe('shipped');
    for (const id of others) {
      const order = await shop.settled(id);
      expect(order.status).toBe('shipped');
      expect(order.history.map((event) => event.type).slice(0, 3)).toEqual([
        'order.created',
        'inventory.checked',
        'inventory.reserved',
      ]);
    }

    // the stock checks ran in batches: one run answered several of these orders
    const checks = await shop.engine.listRuns({ functionId: 'inventory-check' });
    const ofThisBulk = checks.filter((run) =>
      run.events.some((event) => ids.includes((event.data as { orderId: string }).orderId)),
    );
    expect(ofThisBulk.some((run) => run.events.length > 1)).toBe(true);
    const answered = ofThisBulk.flatMap((run) => run.events.map((event) => event.data.orderId));
    expect(answered.sort()).toEqual([...ids].sort());
    // and every intake got its answer from a batch, none had to check alone
    const intakes = (await shop.engine.listRuns({ functionId: 'order-intake' })).filter((run) =>
      ids.includes((run.event.data as { orderId: string }).orderId),
    );
    expect(intakes).toHaveLength(ids.length);
    for (const run of intakes) {
      const steps = run.timeline.map((step) => step.name);
      expect(steps).toContain('record-inventory-check');
      expect(steps).not.toContain('check-inventory-alone');
    }
  }, 60_000);

  it('refuses the whole bulk when one order is invalid, naming each field by the order’s index', async () => {
    const bodies = [
      orderBody(),
      orderBody({ items: [{ productId: 'unicorn', quantity: 1 }] }),
      orderBody({ items: [{ productId: 'widget', quantity: 0 }] }),
      orderBody({ items: [{ productId: 'widget', quantity: 1, price: 1.5 }] }),
      orderBody(),
    ];
    const { status, body } = await bulk(bodies);
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_FAILED');
    // the schema's errors come first, alone: the later checks need a valid body
    expect(body.errors).toEqual([{ field: 'orders.2.items.0.quantity', message: expect.any(String) }]);

    // with the schema satisfied, the catalog and price checks name their orders too
    bodies[2] = orderBody();
    const second = await bulk(bodies);
    expect(second.status).toBe(400);
    expect(second.body.errors).toEqual([
      {
        field: 'orders.1.items.0.productId',
        message: expect.stringContaining('unknown product "unicorn"'),
      },
      {
        field: 'orders.3.items.0.price',
        message: expect.stringContaining('widget costs 19.99 USD in the catalog, not 1.5'),
      },
    ]);
    for (const order of bodies) expect(await ordersOf(order.customerId)).toEqual([]);
  });

  it(`refuses an empty bulk and one of more than ${MAX_BULK_ORDERS} orders`, async () => {
    const empty = await bulk([]);
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([{ field: 'orders', message: 'a bulk needs at least one order' }]);
    const tooMany = Array.from({ length: MAX_BULK_ORDERS + 1 }, () => orderBody());
    const big = await bulk(tooMany);
    expect(big.status).toBe(400);
    expect(big.body.errors).toEqual([{ field: 'orders', message: expect.stringContaining('at most 100') }]);
    expect(await ordersOf(tooMany[0].customerId)).toEqual([]);
  });

  it('replays a bulk sent again with the same Idempotency-Key: the same orders, stored once', async () => {
    const bodies = [orderBody(), orderBody(), orderBody()];
    const headers = { 'idempotency-key': `bulk-${backend}-1` };
    const first = await bulk(bodies, headers);
    const again = await bulk(bodies, headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    for (const [index, order] of bodies.entries()) {
      expect((await ordersOf(order.customerId)).map((stored) => stored.id)).toEqual([
        first.body.orders[index].id,
      ]);
    }
    const reused = await bulk([orderBody()], headers);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('completes a bulk retried after it stored only some orders, never storing one twice', async () => {
    const bodies = [orderBody(), orderBody(), orderBody()];
    const key = `bulk-${backend}-2`;
    // what a first attempt that died after its first order left behind
    const acme = shop.app.get(TenantRegistry).find('acme');
    if (!acme) throw new Error('the test shop has no tenant acme');
    const partial = await shop.app.get(BulkOrdersService).placeAll(acme, bodies.slice(0, 1), key);

    const retry = await bulk(bodies, { 'idempotency-key': key });
    expect(retry.status).toBe(202);
    expect(retry.body.orders[0].id).toBe(partial.orders[0].id);
    for (const [index, order] of bodies.entries()) {
      expect((await ordersOf(order.customerId)).map((stored) => stored.id)).toEqual([
        retry.body.orders[index].id,
      ]);
    }
    for (const order of retry.body.orders) expect((await shop.settled(order.id)).status).toBe('shipped');
  });
});
