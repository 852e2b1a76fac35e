import { z } from 'zod';
import { ORDER_STATUSES } from '../domain/order';

/** `POST /orders`. */
export const createOrderSchema = z.strictObject({
  customerId: z.string().trim().min(1).max(64),
  email: z.email(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'use the E.164 format, e.g. +14155550100')
    .optional(),
  items: z
    .array(
      z.strictObject({
        productId: z.string().min(1),
        quantity: z.number().int('must be a whole number').min(1).max(100),
      }),
    )
    .min(1, 'an order needs at least one item')
    .max(50),
  paymentToken: z.string().min(1, 'a card token such as tok_visa'),
  shippingAddress: z.strictObject({
    name: z.string().trim().min(1),
    line1: z.string().trim().min(1),
    line2: z.string().trim().optional(),
    city: z.string().trim().min(1),
    postalCode: z.string().trim().min(1).max(16),
    country: z.string().regex(/^[A-Z]{2}$/, 'use an ISO 3166 alpha-2 code such as US or DE'),
  }),
});
export type CreateOrderRequest = z.infer<typeof createOrderSchema>;

/** `GET /orders` query. */
export const listOrdersSchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  customerId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().optional(),
});
export type ListOrdersQuery = z.infer<typeof listOrdersSchema>;
