import { z } from 'zod';
import { phoneSchema, shippingAddressSchema } from '../common/contact.schemas';
import type { ShippingAddress } from '../domain/events';
import { ORDER_STATUSES } from '../domain/order';
import { ONE_LINE_ADDRESS_FORMAT, parseOneLineAddress } from './one-line-address';

/** The most of one product an order may hold, on one line or on several lines together. */
export const MAX_QUANTITY_PER_PRODUCT = 100;

/** The seed's `payment` object: a card, its token, and optionally the amount the client expects to pay. */
export const cardPaymentSchema = z.strictObject({
  method: z.literal('card', 'the shop takes cards only: use "card"'),
  cardToken: z.string().min(1, 'a card token such as tok_visa').max(255),
  /** In the currency's units (`59.98`); checked against the order's total, never trusted. */
  amount: z.number().positive().optional(),
});

/** The seed's `shipping` object: the address on one line. */
const oneLineShippingSchema = z.strictObject({
  address: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .transform((text, context) => {
      const lines = parseOneLineAddress(text);
      if (!lines) context.addIssue({ code: 'custom', message: `not an address: ${ONE_LINE_ADDRESS_FORMAT}` });
      return lines ?? z.NEVER;
    }),
  method: z.literal('standard', 'the shop ships "standard" only').default('standard'),
  /** Who the parcel is for; the customer's account has it otherwise. */
  name: z.string().trim().min(1).max(100).optional(),
});

/**
 * `POST /orders`, in either of two spellings, which may be mixed:
 * - the original example's: `items[].price`, `payment: { method, cardToken, amount }`,
 *   `shipping: { address, method }` with the address on one line, no email;
 * - the shop's own: `email`, `phone`, `paymentToken`, `shippingAddress: { name, line1, ... }`.
 *
 * What it leaves out comes from the customer's account (`toOrderRequest`), and prices and amounts
 * are checked against the catalog there, since both depend on the tenant.
 */
export const placeOrderSchema = z
  .strictObject({
    customerId: z.string().trim().min(1).max(64),
    email: z.email().optional(),
    phone: phoneSchema.optional(),
    items: z
      .array(
        z.strictObject({
          productId: z.string().min(1).max(64),
          quantity: z.number().int('must be a whole number').min(1).max(MAX_QUANTITY_PER_PRODUCT),
          /** The unit price in the currency's units (`29.99`); checked against the catalog. */
          price: z.number().positive().optional(),
        }),
      )
      .min(1, 'an order needs at least one item')
      .max(50),
    paymentToken: z.string().min(1, 'a card token such as tok_visa').max(255).optional(),
    payment: cardPaymentSchema.optional(),
    shippingAddress: shippingAddressSchema.optional(),
    shipping: oneLineShippingSchema.optional(),
  })
  .superRefine((body, context) => {
    const eitherOr = (seed: keyof typeof body, own: keyof typeof body) => {
      if (body[seed] !== undefined && body[own] !== undefined)
        context.addIssue({ code: 'custom', path: [seed], message: `send ${seed} or ${own}, not both` });
    };
    eitherOr('payment', 'paymentToken');
    eitherOr('shipping', 'shippingAddress');
  });
export type PlaceOrderBody = z.infer<typeof placeOrderSchema>;

/** The most orders one `POST /orders/bulk` may hold. */
export const MAX_BULK_ORDERS = 100;

/**
 * `POST /orders/bulk`: up to `MAX_BULK_ORDERS` orders, each a `POST /orders` body of either
 * spelling; a field error names the order by its index (`orders.3.items.0.quantity`).
 */
export const bulkPlaceOrdersSchema = z.strictObject({
  orders: z
    .array(placeOrderSchema)
    .min(1, 'a bulk needs at least one order')
    .max(MAX_BULK_ORDERS, `a bulk holds at most ${MAX_BULK_ORDERS} orders; split it into several requests`),
});
export type BulkPlaceOrdersBody = z.infer<typeof bulkPlaceOrdersSchema>;

/**
 * The order as `OrdersService.place` takes it: complete, one line per product (lines of the same
 * product merged), no client prices.
 */
export interface CreateOrderRequest {
  customerId: string;
  email: string;
  phone?: string;
  items: { productId: string; quantity: number }[];
  paymentToken: string;
  shippingAddress: ShippingAddress;
}

/** `GET /orders` query. */
export const listOrdersSchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  customerId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().optional(),
});
export type ListOrdersQuery = z.infer<typeof listOrdersSchema>;
