import { describe, expect, it } from 'vitest';
import { InvalidInputException } from '../../src/common/validation';
import { DEFAULT_TENANTS, type TenantConfig } from '../../src/config/tenants';
import { parseOneLineAddress } from '../../src/orders/one-line-address';
import { toOrderRequest } from '../../src/orders/order-request';
import { type PlaceOrderBody, placeOrderSchema } from '../../src/orders/orders.schemas';

const [acme, globex] = DEFAULT_TENANTS;

/** Parses like the validation pipe, then normalises like the controller. */
const normalise = (body: unknown, tenant: TenantConfig = acme) =>
  toOrderRequest(tenant, placeOrderSchema.parse(body) as PlaceOrderBody);

/** The field errors `normalise` refuses the body with. */
function refusal(body: unknown, tenant: TenantConfig = acme) {
  try {
    normalise(body, tenant);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputException);
    return (error as InvalidInputException).errors;
  }
  throw new Error('the body was accepted');
}

const guestBody = {
  customerId: 'guest-1',
  email: 'guest@example.com',
  items: [{ productId: 'widget', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: {
    name: 'Ada',
    line1: '1 Loop Road',
    city: 'Springfield',
    postalCode: '12345',
    country: 'US',
  },
};

describe('toOrderRequest', () => {
  it('passes the shop’s own spelling through unchanged', () => {
    expect(normalise(guestBody)).toEqual(guestBody);
  });

  it('completes the original example’s order from the customer’s account and reads its one-line address', () => {
    const request = normalise({
      customerId: 'cust-123',
      items: [{ productId: 'prod-1', quantity: 2, price: 29.99 }],
      payment: { method: 'card', cardToken: 'tok_visa', amount: 59.98 },
      shipping: { address: '123 Main St, City, State 12345', method: 'standard' },
    });
    expect(request).toEqual({
      customerId: 'cust-123',
      email: 'cust-123@example.com',
      phone: '+14155550123',
      items: [{ productId: 'prod-1', quantity: 2 }],
      paymentToken: 'tok_visa',
      shippingAddress: {
        name: 'Casey Jones',
        line1: '123 Main St',
        city: 'City, State',
        postalCode: '12345',
        country: 'US',
      },
    });
  });

  it('charges the card on file and ships to the address on file when the body names neither', () => {
    const request = normalise({
      customerId: 'cust-123',
      items: [{ productId: 'out-of-stock', quantity: 10 }],
    });
    const account = acme.customers[0];
    expect(request.paymentToken).toBe(account.cardToken);
    expect(request.shippingAddress).toEqual(account.address);
  });

  it('refuses a guest who leaves out email, payment or shipping, naming each field', () => {
    const errors = refusal({ customerId: 'guest-2', items: [{ productId: 'widget', quantity: 1 }] });
    expect(errors.map((error) => error.field)).toEqual(['email', 'payment', 'shipping']);
    expect(errors[0].message).toBe(
      'required: customer "guest-2" has no account with Acme Corp to take it from',
    );
  });

  it('refuses a one-line address without a recipient for a guest', () => {
    const errors = refusal({
      ...guestBody,
      shippingAddress: undefined,
      shipping: { address: '1 A St, Town, ST 11111' },
    });
    expect(errors).toEqual([
      {
        field: 'shipping.name',
        message:
          'required: who the parcel is for; customer "guest-1" has no account with Acme Corp to take it from',
      },
    ]);
    const named = normalise({
      ...guestBody,
      shippingAddress: undefined,
      shipping: { address: '1 A St, Town, ST 11111', name: 'Ada' },
    });
    expect(named.shippingAddress).toEqual({
      name: 'Ada',
      line1: '1 A St',
      city: 'Town, ST',
      postalCode: '11111',
      country: 'US',
    });
  });

  it('refuses a one-line address for a tenant with no home country', () => {
    const nowhere = { ...globex, country: undefined };
    const errors = refusal(
      { ...guestBody, shippingAddress: undefined, shipping: { address: '1 A St, Town, 11111', name: 'Ada' } },
      nowhere,
    );
    expect(errors.map((error) => error.field)).toEqual(['shipping.address']);
  });

  it('refuses a price that is not the catalog’s, naming the line and the catalog price', () => {
    const errors = refusal({
      ...guestBody,
      items: [
        { productId: 'widget', quantity: 1, price: 19.99 },
        { productId: 'prod-1', quantity: 1, price: 0.01 },
      ],
    });
    expect(errors).toEqual([
      {
        field: 'items.1.price',
        message: 'prod-1 costs 29.99 USD in the catalog, not 0.01; send 29.99 or leave price out',
      },
    ]);
  });

  it('refuses a price with more decimals than the currency has', () => {
    const errors = refusal({ ...guestBody, items: [{ productId: 'prod-1', quantity: 1, price: 29.991 }] });
    expect(errors.map((error) => error.field)).toEqual(['items.0.price']);
  });

  it('refuses an amount that is not the total at catalog prices, naming the total', () => {
    const errors = refusal({
      customerId: 'cust-123',
      items: [{ productId: 'prod-1', quantity: 2, price: 29.99 }],
      payment: { method: 'card', cardToken: 'tok_visa', amount: 29.99 },
    });
    expect(errors).toEqual([
      {
        field: 'payment.amount',
        message:
          "the order's total is 59.98 USD at catalog prices, not 29.99; send 59.98 or leave amount out",
      },
    ]);
  });

  it('merges lines of one product and applies the per-product limit to the merged line', () => {
    expect(
      normalise({
        ...guestBody,
        items: [
          { productId: 'widget', quantity: 60 },
          { productId: 'gadget', quantity: 1 },
          { productId: 'widget', quantity: 40 },
        ],
      }).items,
    ).toEqual([
      { productId: 'widget', quantity: 100 },
      { productId: 'gadget', quantity: 1 },
    ]);
    const errors = refusal({
      ...guestBody,
      items: [
        { productId: 'widget', quantity: 100 },
        { productId: 'widget', quantity: 100 },
      ],
    });
    expect(errors).toEqual([
      {
        field: 'items.0.quantity',
        message: 'widget is ordered 200 times on items 0, 1; an order holds at most 100 of a product',
      },
    ]);
  });

  it('checks the amount against the merged lines', () => {
    const request = normalise({
      customerId: 'cust-123',
      items: [
        { productId: 'prod-1', quantity: 1, price: 29.99 },
        { productId: 'prod-1', quantity: 1, price: 29.99 },
      ],
      payment: { method: 'card', cardToken: 'tok_visa', amount: 59.98 },
    });
    expect(request.items).toEqual([{ productId: 'prod-1', quantity: 2 }]);
  });
});

describe('placeOrderSchema', () => {
  const issues = (body: unknown) =>
    placeOrderSchema.safeParse(body).error?.issues.map((issue) => [issue.path.join('.'), issue.message]);

  it('refuses both spellings of the payment or the shipping at once', () => {
    expect(
      issues({
        ...guestBody,
        payment: { method: 'card', cardToken: 'tok_visa' },
        shipping: { address: '1 A St, Town, ST 11111' },
      }),
    ).toEqual([
      ['payment', 'send payment or paymentToken, not both'],
      ['shipping', 'send shipping or shippingAddress, not both'],
    ]);
  });

  it('refuses a payment method other than card and a shipping method other than standard', () => {
    expect(
      issues({
        ...guestBody,
        paymentToken: undefined,
        shippingAddress: undefined,
        payment: { method: 'paypal', cardToken: 'tok_visa' },
        shipping: { address: '1 A St, Town, ST 11111', method: 'overnight' },
      }),
    ).toEqual([
      ['payment.method', 'the shop takes cards only: use "card"'],
      ['shipping.method', 'the shop ships "standard" only'],
    ]);
  });

  it('refuses a one-line address it cannot read, saying how to write it', () => {
    const [[field, message]] = issues({
      ...guestBody,
      shippingAddress: undefined,
      shipping: { address: 'somewhere' },
    }) ?? [[]];
    expect(field).toBe('shipping.address');
    expect(message).toContain('"123 Main St, Springfield, IL 62704"');
  });
});

describe('parseOneLineAddress', () => {
  it('reads street, city, region and postal code', () => {
    expect(parseOneLineAddress('123 Main St, City, State 12345')).toEqual({
      line1: '123 Main St',
      city: 'City, State',
      postalCode: '12345',
    });
  });

  it('keeps the parts between street and city as the second line', () => {
    expect(parseOneLineAddress('1 Elm St, Apt 4, Springfield, IL 62704')).toEqual({
      line1: '1 Elm St',
      line2: 'Apt 4',
      city: 'Springfield, IL',
      postalCode: '62704',
    });
  });

  it('reads a last part that is only a postal code', () => {
    expect(parseOneLineAddress('Hauptstr. 1, Berlin, 10115')).toEqual({
      line1: 'Hauptstr. 1',
      city: 'Berlin',
      postalCode: '10115',
    });
  });

  it('gives up on text without a street, a city and a postal code', () => {
    expect(parseOneLineAddress('123 Main St, City')).toBeUndefined();
    expect(parseOneLineAddress('123 Main St, City, State')).toBeUndefined();
  });
});
