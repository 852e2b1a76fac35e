import { describe, expect, it } from 'vitest';
import { evolveOrder, type Order } from '../../src/domain/order';
import { PiiCipher } from '../../src/privacy/pii-cipher';

const cipher = PiiCipher.fromKey(undefined);

describe('evolveOrder', () => {
  const created = evolveOrder(null, {
    type: 'order.created',
    data: {
      orderId: 'ord_1',
      tenantId: 'acme',
      customerId: 'c-1',
      contact: cipher.seal({
        email: 'ada@example.com',
        shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'X', postalCode: '1', country: 'US' },
      }),
      lines: [{ productId: 'widget', quantity: 1, unitPrice: 1999 }],
      total: 1999,
      currency: 'USD',
      variant: 'control',
      placedAt: '2026-11-30T00:00:00.000Z',
    },
  }) as Order;

  it('keeps the contact sealed in the read model', () => {
    expect(JSON.stringify(created)).not.toContain('ada@example.com');
    expect(cipher.open(created.contact).email).toBe('ada@example.com');
  });

  it('never moves an order out of a final state: a late out-of-stock check after a cancellation changes nothing', () => {
    const cancelled = evolveOrder(created, {
      type: 'order.cancelled',
      data: {
        orderId: 'ord_1',
        tenantId: 'acme',
        reason: 'customer_request',
        detail: 'Cancelled on request.',
        refunded: false,
      },
    }) as Order;
    expect(cancelled.status).toBe('cancelled');
    const late = evolveOrder(cancelled, {
      type: 'inventory.checked',
      data: {
        orderId: 'ord_1',
        tenantId: 'acme',
        inStock: false,
        shortages: [{ productId: 'widget', requested: 1, available: 0 }],
      },
    }) as Order;
    expect(late.status).toBe('cancelled');
    expect(late.backorder).toBeUndefined();
  });
});
