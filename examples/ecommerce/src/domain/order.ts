import type { PiiCipher, Sealed } from '../privacy/pii-cipher';
import type { CancellationReason, CustomerContact, OrderLine, ShopEvent } from './events';

/**
 * The states of an order, as `GET /orders/:id` reports them in `status`.
 * - `pending`: accepted; stock and payment are being handled.
 * - `backordered`: paid, waiting for a restock of a product out of stock (until a timeout).
 * - `confirmed`: paid and reserved; shipping is being prepared.
 * - `shipped`: handed to the carrier. Final.
 * - `cancelled`: stopped, with everything done so far undone (stock released, payment refunded). Final.
 * - `failed`: a compensation could not finish; an operator must look at it. Final.
 */
export const ORDER_STATUSES = [
  'pending',
  'backordered',
  'confirmed',
  'shipped',
  'cancelled',
  'failed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** States an order never leaves. */
export const FINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(['shipped', 'cancelled', 'failed']);

/** An order as the API returns it, folded from the events of its stream. */
export interface Order {
  id: string;
  tenantId: string;
  customerId: string;
  /** The customer's email, phone and address, sealed (see `revealOrder`). */
  contact: Sealed<CustomerContact>;
  status: OrderStatus;
  lines: OrderLine[];
  total: number;
  currency: string;
  variant: string;
  placedAt: string;
  reservation?: { id: string; status: 'reserved' | 'released' | 'fulfilled' };
  backorder?: { shortages: { productId: string; requested: number; available: number }[] };
  payment?: {
    id: string;
    status: 'processed' | 'failed' | 'refunded';
    amount?: number;
    chargeId?: string;
    failure?: { code: string; detail: string };
  };
  shipment?: { id: string; trackingNumber: string; status: 'prepared' | 'dispatched' | 'cancelled' };
  /** Set by `POST /orders/:id/cancel`; the sagas stop at their next step. */
  cancelRequested?: boolean;
  cancellation?: { reason: CancellationReason; detail: string; refunded: boolean };
  failure?: { detail: string };
  notifications: { channel: string; recipient: Sealed<string> }[];
}

/** An order as the API shows it to its tenant: the customer's contact and the recipients opened. */
export type OrderDetails = Omit<Order, 'contact' | 'notifications'> &
  CustomerContact & { notifications: { channel: string; recipient: string }[] };

/** Opens what the order keeps sealed, for the tenant's API. */
export function revealOrder(order: Order, cipher: PiiCipher): OrderDetails {
  const { contact, notifications, ...rest } = order;
  return {
    ...rest,
    ...cipher.open(contact),
    notifications: notifications.map(({ channel, recipient }) => ({
      channel,
      recipient: cipher.open(recipient),
    })),
  };
}

/** Applies one event to an order; `null` before `order.created`. Pure, so it works for any store. */
export function evolveOrder(order: Order | null, event: ShopEvent): Order | null {
  if (event.type === 'order.created') {
    const { orderId, ...rest } = event.data;
    return { id: orderId, ...rest, status: 'pending', notifications: [] };
  }
  if (order === null) return null;
  switch (event.type) {
    case 'inventory.checked':
      // a check that lands after the order ended (cancelled meanwhile) changes nothing
      return event.data.inStock || FINAL_ORDER_STATUSES.has(order.status)
        ? order
        : { ...order, status: 'backordered', backorder: { shortages: event.data.shortages } };
    case 'inventory.reserved':
      return { ...order, reservation: { id: event.data.reservationId, status: 'reserved' } };
    case 'inventory.released':
      return { ...order, reservation: { id: event.data.reservationId, status: 'released' } };
    case 'payment.processed':
      return {
        ...order,
        payment: {
          id: event.data.paymentId,
          status: 'processed',
          amount: event.data.amount,
          chargeId: event.data.chargeId,
        },
      };
    case 'payment.failed':
      return {
        ...order,
        payment: {
          id: event.data.paymentId,
          status: 'failed',
          failure: { code: event.data.code, detail: event.data.detail },
        },
      };
    case 'payment.refunded':
      return order.payment ? { ...order, payment: { ...order.payment, status: 'refunded' } } : order;
    case 'order.confirmed':
      return { ...order, status: 'confirmed' };
    case 'shipping.prepared':
      return {
        ...order,
        shipment: {
          id: event.data.shipmentId,
          trackingNumber: event.data.trackingNumber,
          status: 'prepared',
        },
      };
    case 'shipping.dispatched':
      return {
        ...order,
        status: 'shipped',
        ...(order.reservation ? { reservation: { ...order.reservation, status: 'fulfilled' as const } } : {}),
        shipment: {
          id: event.data.shipmentId,
          trackingNumber: event.data.trackingNumber,
          status: 'dispatched',
        },
      };
    case 'shipping.cancelled':
      return order.shipment ? { ...order, shipment: { ...order.shipment, status: 'cancelled' } } : order;
    case 'notification.sent':
      return {
        ...order,
        notifications: [
          ...order.notifications,
          { channel: event.data.channel, recipient: event.data.recipient },
        ],
      };
    case 'order.cancel.requested':
      return { ...order, cancelRequested: true };
    case 'order.cancelled':
      return {
        ...order,
        status: 'cancelled',
        cancellation: { reason: event.data.reason, detail: event.data.detail, refunded: event.data.refunded },
      };
    case 'order.failed':
      return { ...order, status: 'failed', failure: { detail: event.data.detail } };
    default:
      return order;
  }
}
