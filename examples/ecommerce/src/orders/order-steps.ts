import { Injectable } from '@nestjs/common';
import { InngestService } from '@sagaline/nestjs-inngest';
import type { NotificationChannel } from '../config/tenants';
import type { CancellationReason, ShopEvent, ShopEvents } from '../domain/events';
import type { Order } from '../domain/order';
import { ExperimentsService } from '../experiments/experiments.service';
import { businessError } from '../integrations/circuit-breakers';
import { InventoryService } from '../inventory/inventory.service';
import { ShopMetrics } from '../metrics/shop-metrics';
import { NotificationsService } from '../notifications/notifications.service';
import { PaymentDeclinedError } from '../payments/payment-gateway.client';
import { PaymentsService } from '../payments/payments.service';
import { PiiCipher } from '../privacy/pii-cipher';
import { ShippingService } from '../shipping/shipping.service';
import { TenantRegistry } from '../tenancy/tenant.registry';
import { OrdersRepository } from './orders.repository';

/** The order as the saga receives it, in its `order.created` event. */
export type PlacedOrder = ShopEvents['order.created'];

/** The order's total is above the tenant's fraud limit: refused, never retried. */
export class FraudSuspectedError extends Error {
  readonly code = 'FRAUD_SUSPECTED';
  constructor(
    readonly total: number,
    readonly limit: number,
  ) {
    super(
      `The order total ${total} is above the fraud limit ${limit} of the tenant; it needs a manual review.`,
    );
    this.name = 'FraudSuspectedError';
  }
}

/** What cancels an order's sagas: `POST /orders/:id/cancel` sends it. */
export const CANCEL_ORDER = { event: 'order.cancel.requested', match: 'data.orderId' };

/** The sagas' `saga/*` events carry the order's tenant, so the audit files them with the order. */
export const TENANT_OF_THE_ORDER = (event: { data: { tenantId: string } }) => ({
  tenantId: event.data.tenantId,
});

/** The customer cancelled the order: the saga stops here and compensates. */
export class OrderCancelledError extends Error {
  readonly code = 'ORDER_CANCELLED';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} was cancelled at the customer's request.`);
    this.name = 'OrderCancelledError';
  }
}

/**
 * The call's own error rather than the `NonRetriableError` a breaker wraps a permanent one in:
 * the saga classifies errors itself (`isPermanent`) and names a cancellation after the error.
 */
const unwrapped = <T>(call: Promise<T>): Promise<T> =>
  call.catch((error: unknown) => {
    throw businessError(error);
  });

/** Ids of what the saga creates, derived from the order id so that a retried step finds its own work. */
export const sagaIds = {
  reservation: (orderId: string) => `res_${orderId.slice(4)}`,
  payment: (orderId: string) => `pay_${orderId.slice(4)}`,
};

/**
 * What each step of the order saga does, and the event it records on the order. Every method is
 * idempotent (ids derived from the order, events applied once by id), as saga steps and
 * compensations must be: Inngest may run one again after a crash or a timeout.
 */
@Injectable()
export class OrderSteps {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly inventory: InventoryService,
    private readonly payments: PaymentsService,
    private readonly shipping: ShippingService,
    private readonly notifications: NotificationsService,
    private readonly experiments: ExperimentsService,
    private readonly tenants: TenantRegistry,
    private readonly cipher: PiiCipher,
    private readonly inngest: InngestService,
    private readonly metrics: ShopMetrics,
  ) {}

  private tenant(order: PlacedOrder) {
    const tenant = this.tenants.find(order.tenantId);
    if (!tenant) throw new Error(`Tenant "${order.tenantId}" of order ${order.orderId} is not configured.`);
    return tenant;
  }

  private async current(order: PlacedOrder): Promise<Order> {
    const found = await this.orders.find(order.tenantId, order.orderId);
    if (!found) throw new Error(`Order ${order.orderId} of tenant ${order.tenantId} does not exist.`);
    return found;
  }

  private finished(order: PlacedOrder, outcome: 'shipped' | 'cancelled' | 'failed', reason = ''): void {
    this.metrics.ordersFinished.inc({ tenant: order.tenantId, outcome, reason });
    this.metrics.sagaDuration.observe({ outcome }, (Date.now() - Date.parse(order.placedAt)) / 1000);
  }

  private record(order: PlacedOrder, event: ShopEvent, idSuffix = ''): Promise<Order> {
    return this.orders.apply(
      order.tenantId,
      order.orderId,
      event,
      `${order.orderId}:${event.type}${idSuffix}`,
    );
  }

  /**
   * Which lines are short of stock; an order with shortages becomes `backordered`. `round`
   * distinguishes a check after a restock from the first one.
   */
  async checkInventory(order: PlacedOrder, round = ''): Promise<ShopEvents['inventory.checked']> {
    const shortages = await this.inventory.shortages(order.tenantId, order.lines);
    const data = {
      orderId: order.orderId,
      tenantId: order.tenantId,
      inStock: shortages.length === 0,
      shortages,
    };
    await this.record(order, { type: 'inventory.checked', data }, round && `:${round}`);
    return data;
  }

  /**
   * Stops a saga that starts after the order was cancelled (running sagas are cancelled by the
   * cancel event itself). @throws OrderCancelledError
   */
  async ensureNotCancelled(order: PlacedOrder): Promise<{ cancelRequested: false }> {
    if ((await this.isCancelRequested(order)).cancelRequested) throw new OrderCancelledError(order.orderId);
    return { cancelRequested: false };
  }

  /** Whether the customer asked to cancel the order. */
  async isCancelRequested(order: PlacedOrder): Promise<{ cancelRequested: boolean }> {
    return { cancelRequested: (await this.current(order)).cancelRequested === true };
  }

  /** Marks the order as to be cancelled, before the cancel event is sent. */
  async requestCancellation(order: { orderId: string; tenantId: string }): Promise<void> {
    await this.orders.apply(
      order.tenantId,
      order.orderId,
      {
        type: 'order.cancel.requested',
        data: { orderId: order.orderId, tenantId: order.tenantId },
      },
      `${order.orderId}:order.cancel.requested`,
    );
  }

  /** Reserves every line. @throws OutOfStockError when stock ran out since the check. */
  async reserveInventory(order: PlacedOrder): Promise<{ reservationId: string }> {
    const reservationId = sagaIds.reservation(order.orderId);
    await this.inventory.reserve(order.tenantId, reservationId, order.orderId, order.lines);
    await this.record(order, {
      type: 'inventory.reserved',
      data: { orderId: order.orderId, tenantId: order.tenantId, reservationId, lines: order.lines },
    });
    return { reservationId };
  }

  /** Compensation of the reservation: gives the stock back. */
  async releaseInventory(order: PlacedOrder): Promise<void> {
    const reservationId = sagaIds.reservation(order.orderId);
    const released = await this.inventory.release(order.tenantId, reservationId);
    if (released?.status === 'released') {
      await this.record(order, {
        type: 'inventory.released',
        data: { orderId: order.orderId, tenantId: order.tenantId, reservationId },
      });
    }
  }

  /** Refuses orders above the tenant's fraud limit. @throws FraudSuspectedError */
  assessFraud(order: PlacedOrder): { approved: true } {
    const { fraudLimit } = this.tenant(order);
    if (order.total > fraudLimit) throw new FraudSuspectedError(order.total, fraudLimit);
    return { approved: true };
  }

  /** Charges the customer. @throws PaymentDeclinedError after recording `payment.failed`. */
  async chargePayment(order: PlacedOrder): Promise<{ paymentId: string }> {
    const paymentId = sagaIds.payment(order.orderId);
    try {
      const payment = await this.payments.charge({
        paymentId,
        tenantId: order.tenantId,
        orderId: order.orderId,
        amount: order.total,
        currency: order.currency,
      });
      await this.record(order, {
        type: 'payment.processed',
        data: {
          orderId: order.orderId,
          tenantId: order.tenantId,
          paymentId,
          chargeId: payment.chargeId as string,
          amount: payment.amount,
          currency: payment.currency,
        },
      });
      return { paymentId };
    } catch (error) {
      const failure = businessError(error);
      if (failure instanceof PaymentDeclinedError) {
        await this.record(order, {
          type: 'payment.failed',
          data: {
            orderId: order.orderId,
            tenantId: order.tenantId,
            paymentId,
            code: failure.declineCode,
            detail: failure.detail,
          },
        });
      }
      throw failure;
    }
  }

  /** Compensation of the charge: refunds it (nothing happens if it was never taken). */
  async refundPayment(order: PlacedOrder): Promise<{ refunded: boolean }> {
    const paymentId = sagaIds.payment(order.orderId);
    const payment = await this.payments.find(order.tenantId, paymentId);
    if (!payment || payment.status === 'failed') return { refunded: false };
    const refunded = await this.payments.refund(order.tenantId, paymentId);
    await this.record(order, {
      type: 'payment.refunded',
      data: {
        orderId: order.orderId,
        tenantId: order.tenantId,
        paymentId,
        refundId: refunded.refundId ?? '',
        amount: refunded.amount,
      },
    });
    return { refunded: true };
  }

  /** Paid and reserved: the order is confirmed. */
  async confirm(order: PlacedOrder): Promise<void> {
    await this.record(order, {
      type: 'order.confirmed',
      data: { orderId: order.orderId, tenantId: order.tenantId, paymentId: sagaIds.payment(order.orderId) },
    });
  }

  /** Creates the carrier's label. @throws ShipmentRejectedError for an undeliverable address. */
  async prepareShipment(order: PlacedOrder): Promise<{ shipmentId: string; trackingNumber: string }> {
    const { shippingAddress } = this.cipher.open(order.contact);
    const shipment = await unwrapped(this.shipping.prepare(order.orderId, shippingAddress));
    await this.record(order, {
      type: 'shipping.prepared',
      data: {
        orderId: order.orderId,
        tenantId: order.tenantId,
        shipmentId: shipment.id,
        trackingNumber: shipment.trackingNumber,
      },
    });
    return { shipmentId: shipment.id, trackingNumber: shipment.trackingNumber };
  }

  /** Compensation of the label: voids it (nothing to do when no label was made). */
  async cancelShipment(order: PlacedOrder): Promise<void> {
    const shipment = (await this.current(order)).shipment;
    if (shipment?.status !== 'prepared') return;
    await this.shipping.cancel(shipment.id);
    await this.record(order, {
      type: 'shipping.cancelled',
      data: { orderId: order.orderId, tenantId: order.tenantId, shipmentId: shipment.id },
    });
  }

  /** Hands the parcel over: the point of no return. The reserved stock leaves; the customer converts. */
  async dispatch(order: PlacedOrder): Promise<{ trackingNumber: string }> {
    const prepared = (await this.current(order)).shipment;
    if (!prepared) throw new Error(`Order ${order.orderId} has no shipment to dispatch.`);
    const shipment = { shipmentId: prepared.id, trackingNumber: prepared.trackingNumber };
    await unwrapped(this.shipping.dispatch(shipment.shipmentId));
    await this.inventory.fulfil(order.tenantId, sagaIds.reservation(order.orderId));
    await this.experiments.convert(order.tenantId, order.customerId, order.orderId);
    await this.record(order, {
      type: 'shipping.dispatched',
      data: { orderId: order.orderId, tenantId: order.tenantId, ...shipment },
    });
    this.finished(order, 'shipped');
    return { trackingNumber: shipment.trackingNumber };
  }

  /** Tells the customer the order is on its way, on one channel, if the tenant uses that channel. */
  async notify(order: PlacedOrder, channel: NotificationChannel): Promise<{ sent: boolean }> {
    if (!this.tenant(order).notificationChannels.includes(channel)) return { sent: false };
    const trackingNumber = (await this.current(order)).shipment?.trackingNumber ?? '';
    const { email, phone } = this.cipher.open(order.contact);
    const { recipient } = await this.notifications.send(channel, {
      orderId: order.orderId,
      email,
      phone,
      subject: `Your order ${order.orderId} has shipped`,
      text: `Good news: your order ${order.orderId} is on its way. Tracking number: ${trackingNumber}.`,
    });
    await this.record(
      order,
      {
        type: 'notification.sent',
        data: {
          orderId: order.orderId,
          tenantId: order.tenantId,
          channel,
          recipient: this.cipher.seal(recipient),
        },
      },
      `:${channel}`,
    );
    return { sent: true };
  }

  /** Hands an order back to the order saga (after a restock), or to the backorder saga. */
  async handOver(order: PlacedOrder, to: 'order.ready' | 'order.backordered', round: string): Promise<void> {
    await this.inngest.send({ name: to, id: `${to}:${order.orderId}:${round}`, data: order });
  }

  /** The saga was compensated: the order ends `cancelled`, with the reason. */
  async cancel(order: PlacedOrder, reason: CancellationReason, detail: string): Promise<void> {
    // The sagas' compensations have undone their own steps; this also undoes what an earlier saga
    // of the order left (a backorder's charge) or what a saga cancelled before it began never saw.
    // Each call is idempotent, a no-op when there is nothing to undo.
    await this.cancelShipment(order);
    await this.refundPayment(order);
    await this.releaseInventory(order);
    const payment = await this.payments.find(order.tenantId, sagaIds.payment(order.orderId));
    await this.record(order, {
      type: 'order.cancelled',
      data: {
        orderId: order.orderId,
        tenantId: order.tenantId,
        reason,
        detail,
        refunded: payment?.status === 'refunded',
      },
    });
    this.finished(order, 'cancelled', reason);
  }

  /** A compensation failed: the order ends `failed`, for an operator. */
  async fail(order: PlacedOrder, detail: string): Promise<void> {
    await this.record(order, {
      type: 'order.failed',
      data: { orderId: order.orderId, tenantId: order.tenantId, detail },
    });
    this.metrics.ordersFinished.inc({
      tenant: order.tenantId,
      outcome: 'failed',
      reason: 'compensation_failed',
    });
  }
}
