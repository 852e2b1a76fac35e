import { z } from 'zod';

/** A phone number for SMS, in E.164. */
export const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'use the E.164 format, e.g. +14155550100');

/** A postal address, field by field: an order's `shippingAddress`, or one on a customer's account. */
export const shippingAddressSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(16),
  country: z.string().regex(/^[A-Z]{2}$/, 'use an ISO 3166 alpha-2 code such as US or DE'),
});
