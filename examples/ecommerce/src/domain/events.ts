import type {} from '@sagaline/nestjs-inngest';
import type { NotificationChannel } from '../config/tenants';
import type { Sealed } from '../privacy/pii-cipher';

/** One line of an order: a product, how many, and the price per unit (minor units) when ordered. */
export interface OrderLine {
  productId: string;
  quantity: number;
  unitPrice: number;
}

/** Where the parcel goes. */
export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

/** The customer's personal data an order needs; events and tables hold it sealed. */
export interface CustomerContact {
  email: string;
  phone?: string;
  shippingAddress: ShippingAddress;
}

/** A product short of stock: what the order needs and what is left. */
export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

/** Why an order was cancelled. */
export type CancellationReason =
  | 'payment_declined'
  | 'fraud_suspected'
  | 'backorder_timeout'
  | 'shipping_failed'
  | 'customer_request'
  | 'pipeline_error';

/**
 * The order pipeline's events and their payloads, as Inngest events and as entries of the event
 * store's audit trail. Declared on the binding's `InngestEvents`, so names and payloads are checked
 * wherever the app sends or handles them.
 */
export interface ShopEvents {
  'order.created': {
    orderId: string;
    tenantId: string;
    customerId: string;
    /** How to reach the customer, sealed: open it only where it is used (the label, the notifications). */
    contact: Sealed<CustomerContact>;
    lines: OrderLine[];
    total: number;
    currency: string;
    /** The checkout experiment's variant the customer saw. */
    variant: string;
    /** When the order was accepted, ISO 8601. */
    placedAt: string;
  };
  'order.confirmed': { orderId: string; tenantId: string; paymentId: string };
  'order.cancelled': {
    orderId: string;
    tenantId: string;
    reason: CancellationReason;
    detail: string;
    refunded: boolean;
  };
  'order.failed': { orderId: string; tenantId: string; detail: string };
  'inventory.checked': { orderId: string; tenantId: string; inStock: boolean; shortages: Shortage[] };
  /**
   * Internal: the intake asks for an order's stock check. `inventory-check` takes these in batches
   * and answers each with an `inventory.checked` of the same order.
   */
  'inventory.check.requested': { orderId: string; tenantId: string; lines: OrderLine[] };
  'inventory.reserved': { orderId: string; tenantId: string; reservationId: string; lines: OrderLine[] };
  'inventory.released': { orderId: string; tenantId: string; reservationId: string };
  'inventory.restocked': { tenantId: string; productId: string; quantity: number; stock: number };
  'payment.processed': {
    orderId: string;
    tenantId: string;
    paymentId: string;
    chargeId: string;
    amount: number;
    currency: string;
  };
  'payment.failed': { orderId: string; tenantId: string; paymentId: string; code: string; detail: string };
  'payment.refunded': {
    orderId: string;
    tenantId: string;
    paymentId: string;
    refundId: string;
    amount: number;
  };
  'shipping.prepared': { orderId: string; tenantId: string; shipmentId: string; trackingNumber: string };
  'shipping.dispatched': { orderId: string; tenantId: string; shipmentId: string; trackingNumber: string };
  'shipping.cancelled': { orderId: string; tenantId: string; shipmentId: string };
  'notification.sent': {
    orderId: string;
    tenantId: string;
    channel: NotificationChannel;
    recipient: Sealed<string>;
  };
  'order.cancel.requested': { orderId: string; tenantId: string };
  /** Internal: the order is in stock and goes to the order saga. Carries the order. */
  'order.ready': ShopEvents['order.created'];
  /** Internal: the order is short of stock and goes to the backorder saga. Carries the order. */
  'order.backordered': ShopEvents['order.created'];
}

/** What `@sagaline/saga` puts in its lifecycle events. */
export interface SagaLifecycleData {
  sagaId: string;
  runId: string;
  businessKey?: string;
  status?: string;
}

/** A pipeline event name. */
export type ShopEventName = keyof ShopEvents;

/** A pipeline event: its name and its payload. */
export type ShopEvent = { [N in ShopEventName]: { type: N; data: ShopEvents[N] } }[ShopEventName];

declare module '@sagaline/nestjs-inngest' {
  interface InngestEvents extends ShopEvents {
    /** Lifecycle events of `@sagaline/saga`: the saga ended compensated, cancelled, or with a failed compensation. */
    'saga/compensated': SagaLifecycleData;
    'saga/cancelled': SagaLifecycleData;
    'saga/compensation.failed': SagaLifecycleData;
    /** Sent by Inngest when a run is cancelled: the function, the run and the event that started it. */
    'inngest/function.cancelled': { function_id: string; run_id: string; event: { name: string; data: any } };
  }
}
