import { z } from 'zod';

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
});
export type TenantConfig = z.infer<typeof tenantConfigSchema>;

/** The header that names the tenant of a request. */
export const TENANT_HEADER = 'x-tenant-id';

const demoCatalog: Product[] = [
  { id: 'widget', name: 'Widget', unitPrice: 1_999, initialStock: 1_000 },
  { id: 'gadget', name: 'Gadget', unitPrice: 4_950, initialStock: 25 },
  { id: 'gizmo', name: 'Gizmo (made to order)', unitPrice: 12_500, initialStock: 0 },
];

/** Two demo tenants that differ in currency, fraud limit and channels. */
export const DEFAULT_TENANTS: TenantConfig[] = [
  {
    id: 'acme',
    name: 'Acme Corp',
    currency: 'USD',
    fraudLimit: 500_000,
    notificationChannels: ['email', 'sms', 'push'],
    catalog: demoCatalog,
  },
  {
    id: 'globex',
    name: 'Globex',
    currency: 'EUR',
    fraudLimit: 100_000,
    notificationChannels: ['email'],
    catalog: demoCatalog,
  },
];
