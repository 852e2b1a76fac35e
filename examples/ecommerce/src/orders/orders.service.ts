import { Injectable } from '@nestjs/common';
import { ulid } from 'ulidx';
import { type FieldError, InvalidInputException } from '../common/validation';
import type { TenantConfig } from '../config/tenants';
import type { OrderLine, ShopEvents } from '../domain/events';
import { type Order, type OrderDetails, revealOrder } from '../domain/order';
import { ExperimentsService } from '../experiments/experiments.service';
import { ShopMetrics } from '../metrics/shop-metrics';
import { OutboxRelay } from '../outbox/outbox-relay';
import { PiiCipher } from '../privacy/pii-cipher';
import {
  type HistoryEntry,
  type InngestEventEntry,
  type OrderFilter,
  type OrderPage,
  OrdersRepository,
} from './orders.repository';
import type { CreateOrderRequest } from './orders.schemas';

/** The order does not exist for this tenant. */
export class OrderNotFoundError extends Error {
  readonly code = 'ORDER_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`No order "${orderId}" for this tenant.`);
    this.name = 'OrderNotFoundError';
  }
}

/** The id of an order's `order.created` event: sending it twice starts one saga. */
export const orderCreatedEventId = (orderId: string) => `order.created:${orderId}`;

/** Accepts orders, hands them to the order saga, and answers what the read model knows. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly outbox: OutboxRelay,
    private readonly cipher: PiiCipher,
    private readonly experiments: ExperimentsService,
    private readonly metrics: ShopMetrics,
  ) {}

  /**
   * Prices the order from the tenant's catalog and stores it as `pending`, with its
   * `order.created` in the outbox in the same transaction; the relay sends it, which starts the
   * saga. Once this resolves the order is stored and will be processed, even if the process dies
   * the next moment. With an idempotency key, a retry resolves with the order stored the first time.
   * @throws InvalidInputException naming unknown products.
   */
  async place(
    tenant: TenantConfig,
    request: CreateOrderRequest,
    idempotencyKey?: string,
  ): Promise<OrderDetails> {
    const lines = this.price(tenant, request.items);
    const orderId = `ord_${ulid()}`;
    const variant = await this.experiments.expose(tenant.id, request.customerId);
    const data: ShopEvents['order.created'] = {
      orderId,
      tenantId: tenant.id,
      customerId: request.customerId,
      contact: this.cipher.seal({
        email: request.email,
        ...(request.phone ? { phone: request.phone } : {}),
        shippingAddress: request.shippingAddress,
      }),
      lines,
      total: lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0),
      currency: tenant.currency,
      variant,
      placedAt: new Date().toISOString(),
    };
    const { order, created } = await this.orders.create(
      { type: 'order.created', data },
      { eventId: orderCreatedEventId(orderId), paymentToken: request.paymentToken },
      idempotencyKey,
    );
    if (created) {
      this.outbox.wake();
      this.metrics.ordersPlaced.inc({ tenant: tenant.id });
    }
    return revealOrder(order, this.cipher);
  }

  /** The order as the read model has it, without its history. @throws OrderNotFoundError */
  async find(tenantId: string, orderId: string): Promise<Order> {
    const order = await this.orders.find(tenantId, orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  /**
   * The order, its contact opened for the tenant, with its event history from the event store.
   * @throws OrderNotFoundError
   */
  async get(
    tenantId: string,
    orderId: string,
  ): Promise<{ order: OrderDetails; history: HistoryEntry[]; inngestEvents: InngestEventEntry[] }> {
    const order = await this.find(tenantId, orderId);
    const [history, inngestEvents] = await Promise.all([
      this.orders.history(tenantId, orderId),
      this.orders.inngestEvents(tenantId, orderId),
    ]);
    return {
      order: revealOrder(order, this.cipher),
      history: history.map((entry) => ({ ...entry, data: this.cipher.revealAll(entry.data) })),
      inngestEvents,
    };
  }

  /** A page of the tenant's orders, their contacts opened. */
  async list(
    tenantId: string,
    filter: OrderFilter,
  ): Promise<{ items: OrderDetails[]; nextCursor: string | null }> {
    const page: OrderPage = await this.orders.list(tenantId, filter);
    return { ...page, items: page.items.map((order) => revealOrder(order, this.cipher)) };
  }

  private price(tenant: TenantConfig, items: CreateOrderRequest['items']): OrderLine[] {
    const errors: FieldError[] = [];
    const quantities = new Map<string, number>();
    items.forEach((item, index) => {
      if (!tenant.catalog.some((product) => product.id === item.productId)) {
        errors.push({
          field: `items.${index}.productId`,
          message: `unknown product "${item.productId}"; ${tenant.name} sells ${tenant.catalog.map((p) => p.id).join(', ')}`,
        });
      }
      quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
    });
    if (errors.length > 0) throw new InvalidInputException(errors);
    return [...quantities].map(([productId, quantity]) => ({
      productId,
      quantity,
      unitPrice: tenant.catalog.find((product) => product.id === productId)?.unitPrice as number,
    }));
  }
}
