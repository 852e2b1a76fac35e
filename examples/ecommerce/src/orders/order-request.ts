import { formatMinorUnits, toMinorUnits } from '../common/money';
import { type FieldError, InvalidInputException } from '../common/validation';
import type { Customer, TenantConfig } from '../config/tenants';
import type { ShippingAddress } from '../domain/events';
import { type CreateOrderRequest, MAX_QUANTITY_PER_PRODUCT, type PlaceOrderBody } from './orders.schemas';

/**
 * Turns a `POST /orders` body of either spelling into the order `OrdersService.place` takes, for
 * the tenant:
 * - what the body leaves out (email, phone, payment, shipping) comes from the customer's account
 *   (`TenantConfig.customers`): their email, the card on file, the default address. A guest with no
 *   account must send them;
 * - a one-line address is read in the tenant's country, for the recipient the body or the account
 *   names;
 * - client prices (`items[].price`) and the expected amount (`payment.amount`) must match the
 *   catalog: the catalog prices the order, the client's figures are only checked;
 * - lines of the same product are merged, and the per-product limit applies to the merged line.
 *
 * Unknown products are left to `OrdersService`, which names them.
 * @throws InvalidInputException with one field error per problem.
 */
export function toOrderRequest(tenant: TenantConfig, body: PlaceOrderBody): CreateOrderRequest {
  const errors: FieldError[] = [];
  const refuse = (field: string, message: string) => {
    errors.push({ field, message });
    return undefined;
  };
  const customer = tenant.customers.find((account) => account.id === body.customerId);
  const noAccount = noAccountMessage(tenant, body.customerId);

  const email = body.email ?? customer?.email ?? refuse('email', `required: ${noAccount}`);
  const phone = body.phone ?? customer?.phone;
  const paymentToken =
    body.paymentToken ??
    body.payment?.cardToken ??
    customer?.cardToken ??
    refuse(
      'payment',
      `required: ${customer ? `${customer.id} has no card on file` : noAccount}; send { "method": "card", "cardToken": "tok_visa" }`,
    );
  const shippingAddress = shippingAddressOf(tenant, body, customer, refuse);

  checkPrices(tenant, body.items, refuse);
  const items = mergeLines(body.items, refuse);
  if (body.payment?.amount !== undefined) checkAmount(tenant, items, body.payment.amount, refuse);

  if (errors.length > 0) throw new InvalidInputException(errors);
  return {
    customerId: body.customerId,
    email: email as string,
    ...(phone ? { phone } : {}),
    items,
    paymentToken: paymentToken as string,
    shippingAddress: shippingAddress as ShippingAddress,
  };
}

type Refuse = (field: string, message: string) => undefined;

const noAccountMessage = (tenant: TenantConfig, customerId: string) =>
  `customer "${customerId}" has no account with ${tenant.name} to take it from`;

/** The body's address, structured or on one line, else the one on the customer's account. */
function shippingAddressOf(
  tenant: TenantConfig,
  body: PlaceOrderBody,
  customer: Customer | undefined,
  refuse: Refuse,
): ShippingAddress | undefined {
  if (body.shippingAddress) return body.shippingAddress;
  const noAccount = noAccountMessage(tenant, body.customerId);
  if (body.shipping) {
    const country =
      tenant.country ??
      refuse(
        'shipping.address',
        `${tenant.name} has no home country to read a one-line address in; send shippingAddress with its country`,
      );
    const name =
      body.shipping.name ??
      customer?.name ??
      refuse('shipping.name', `required: who the parcel is for; ${noAccount}`);
    return country && name ? { name, ...body.shipping.address, country } : undefined;
  }
  return (
    customer?.address ??
    refuse(
      'shipping',
      `required: ${customer ? `${customer.id} has no address on file` : noAccount}; send { "address": "123 Main St, Springfield, IL 62704" }`,
    )
  );
}

function checkPrices(tenant: TenantConfig, items: PlaceOrderBody['items'], refuse: Refuse): void {
  items.forEach((item, index) => {
    const product = tenant.catalog.find((candidate) => candidate.id === item.productId);
    if (item.price === undefined || !product) return;
    const field = `items.${index}.price`;
    const catalogPrice = formatMinorUnits(product.unitPrice, tenant.currency);
    const price = toMinorUnits(item.price, tenant.currency);
    if (price !== product.unitPrice) {
      refuse(
        field,
        `${product.id} costs ${catalogPrice} ${tenant.currency} in the catalog, not ${item.price}; send ${catalogPrice} or leave price out`,
      );
    }
  });
}

/** One line per product, in the order the products first appear; a product over the limit is refused. */
function mergeLines(items: PlaceOrderBody['items'], refuse: Refuse): CreateOrderRequest['items'] {
  const merged = new Map<string, { quantity: number; indexes: number[] }>();
  items.forEach((item, index) => {
    const line = merged.get(item.productId) ?? { quantity: 0, indexes: [] };
    line.quantity += item.quantity;
    line.indexes.push(index);
    merged.set(item.productId, line);
  });
  for (const [productId, { quantity, indexes }] of merged) {
    if (quantity > MAX_QUANTITY_PER_PRODUCT) {
      refuse(
        `items.${indexes[0]}.quantity`,
        `${productId} is ordered ${quantity} times on items ${indexes.join(', ')}; an order holds at most ${MAX_QUANTITY_PER_PRODUCT} of a product`,
      );
    }
  }
  return [...merged].map(([productId, { quantity }]) => ({ productId, quantity }));
}

function checkAmount(
  tenant: TenantConfig,
  items: CreateOrderRequest['items'],
  amount: number,
  refuse: Refuse,
): void {
  let total = 0;
  for (const item of items) {
    const product = tenant.catalog.find((candidate) => candidate.id === item.productId);
    if (!product) return; // no total without a price; OrdersService names the product
    total += product.unitPrice * item.quantity;
  }
  if (toMinorUnits(amount, tenant.currency) === total) return;
  const expected = formatMinorUnits(total, tenant.currency);
  refuse(
    'payment.amount',
    `the order's total is ${expected} ${tenant.currency} at catalog prices, not ${amount}; send ${expected} or leave amount out`,
  );
}
