import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, orderBody, startTestShop, type TestShop } from '../support/test-shop';

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
});
