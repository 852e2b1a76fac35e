import { z } from 'zod';
import { phoneSchema, shippingAddressSchema } from '../common/contact.schemas';

/** A notification channel a tenant can turn on. */
export const NOTIFICATION_CHANNELS = ['email', 'sms', 'push'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** A product a tenant sells, with its price in minor units and its opening stock. */
export const productSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string(),
  unitPrice: z.number().int().positive(),
  initialStock: z.number().int().min(0),
});
export type Product = z.infer<typeof productSchema>;

/**
 * A customer's account with the tenant. An order from this customer that leaves out its email,
 * payment or shipping address is completed from here, as a shop completes a signed-in customer's
 * checkout: the email and phone that notifications go to, the card on file, the default address.
 */
export const customerSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1),
  email: z.email(),
  phone: phoneSchema.optional(),
  /** The card on file, a gateway token such as `tok_visa`. */
  cardToken: z.string().min(1).optional(),
  address: shippingAddressSchema.optional(),
});
export type Customer = z.infer<typeof customerSchema>;

/** One tenant's settings. */
export const tenantConfigSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string(),
  /** ISO 4217 code, upper case. */
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** Orders above this total (minor units) are refused by the fraud check. */
  fraudLimit: z.number().int().positive(),
  /** Channels used to tell the customer the order has shipped. */
  notificationChannels: z.array(z.enum(NOTIFICATION_CHANNELS)).min(1),
  catalog: z.array(productSchema).min(1),
  /**
   * ISO 3166 alpha-2 code of the country the shop delivers in: a one-line shipping address
   * (`shipping.address`) is read as an address there. Without it, orders must send a
   * `shippingAddress` with its country.
   */
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  /** Customer accounts (see `customerSchema`); none by default. */
  customers: z.array(customerSchema).default([]),
});
export type TenantConfig = z.infer<typeof tenantConfigSchema>;

/** The header that names the tenant of a request. */
export const TENANT_HEADER = 'x-tenant-id';

// prod-1 and out-of-stock are the products of the workflows the example grew from
const demoCatalog: Product[] = [
  { id: 'widget', name: 'Widget', unitPrice: 1_999, initialStock: 1_000 },
  { id: 'gadget', name: 'Gadget', unitPrice: 4_950, initialStock: 25 },
  { id: 'gizmo', name: 'Gizmo (made to order)', unitPrice: 12_500, initialStock: 0 },
  { id: 'prod-1', name: 'Product 1', unitPrice: 2_999, initialStock: 500 },
  { id: 'out-of-stock', name: 'Out of stock (ships after a restock)', unitPrice: 9_999, initialStock: 0 },
];

/** The demo customer whose account completes the original workflows' orders. */
const demoCustomer: Customer = {
  id: 'cust-123',
  name: 'Casey Jones',
  email: 'cust-123@example.com',
  phone: '+14155550123',
  cardToken: 'tok_visa',
  address: {
    name: 'Casey Jones',
    line1: '42 Elm Street',
    city: 'Springfield, IL',
    postalCode: '62704',
    country: 'US',
  },
};

/** Two demo tenants that differ in currency, fraud limit and channels. */
export const DEFAULT_TENANTS: TenantConfig[] = [
  {
    id: 'acme',
    name: 'Acme Corp',
    currency: 'USD',
    fraudLimit: 500_000,
    notificationChannels: ['email', 'sms', 'push'],
    catalog: demoCatalog,
    country: 'US',
    customers: [demoCustomer],
  },
  {
    id: 'globex',
    name: 'Globex',
    currency: 'EUR',
    fraudLimit: 100_000,
    notificationChannels: ['email'],
    catalog: demoCatalog,
    country: 'DE',
    customers: [],
  },
];
