import { Inject, Injectable } from '@nestjs/common';
import { EventStore, WrongExpectedVersionError } from '@sagaline/event-store';
import type { Database, Queryable } from '../database/database';
import { DATABASE } from '../database/database.module';
import type { ShopEvent } from '../domain/events';
import { evolveOrder, FINAL_ORDER_STATUSES, type Order, type OrderStatus } from '../domain/order';
import { orderInngestStream, orderStream } from '../events/shop-event-store';
import { enqueue, type OutboxEvent, recordHistory } from '../outbox/outbox';
import { PaymentTokenVault } from '../privacy/payment-token-vault';

/** One event in an order's history. */
export interface HistoryEntry {
  id: string;
  type: ShopEvent['type'];
  /** Its version in the order's stream: 1 for `order.created`. */
  version: number;
  at: string;
  data: unknown;
}

/** An Inngest event of an order: sent by the shop, or the start of a run (`inngest/run.started`). */
export interface InngestEventEntry {
  id: string;
  name: string;
  at: string;
  /** The run, for `inngest/run.started`. */
  runId?: string;
}

/** A page of orders and the cursor of the next one. */
export interface OrderPage {
  items: Order[];
  /** Pass as `after` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Filters of `GET /orders`. */
export interface OrderFilter {
  status?: OrderStatus;
  customerId?: string;
  limit: number;
  after?: string;
}

/**
 * An order's events and its read model. A new order is stored with its `order.created` in the
 * outbox, which `OutboxRelay` records in the order's stream and sends to Inngest. The events are
 * the record: each is appended to the order's stream in the tenant's event store (`order-<id>`),
 * then applied to the read model, one
 * row per order with its current state as JSON and the columns the API filters on. Both steps are
 * idempotent by event id (a replayed append stores nothing; the row keeps the ids it applied), so
 * a saga step retried after a crash between the two finishes the job without doing anything twice.
 */
@Injectable()
export class OrdersRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly store: EventStore,
    private readonly tokens: PaymentTokenVault,
  ) {}

  /**
   * Stores a new order from its `order.created` event, together with that event in the outbox:
   * both are committed, or neither. With an idempotency key, an order already stored under it is
   * returned instead (`created: false`), so a retried request never makes a second order.
   */
  async create(
    event: Extract<ShopEvent, { type: 'order.created' }>,
    outgoing: { eventId: string; paymentToken: string },
    idempotencyKey?: string,
  ): Promise<{ order: Order; created: boolean }> {
    const order = evolveOrder(null, event) as Order;
    const historyEventId = `${order.id}:${event.type}`;
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO orders (tenant_id, id, customer_id, status, total, currency, document, applied, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id`,
        [
          order.tenantId,
          order.id,
          order.customerId,
          order.status,
          order.total,
          order.currency,
          JSON.stringify(order),
          JSON.stringify([historyEventId]),
          idempotencyKey ?? null,
        ],
      );
      if (inserted.length === 0) {
        const [existing] = await tx.query<{ document: Order }>(
          'SELECT document FROM orders WHERE tenant_id = $1 AND idempotency_key = $2',
          [order.tenantId, idempotencyKey],
        );
        return { order: existing.document, created: false };
      }
      await this.tokens.keep(tx, order.tenantId, order.id, outgoing.paymentToken);
      await enqueue(tx, {
        id: outgoing.eventId,
        tenantId: order.tenantId,
        name: event.type,
        data: event.data,
        history: { streamId: orderStream(order.id), eventId: historyEventId, type: event.type },
      });
      return { order, created: true };
    });
  }

  /** Records an event of an order once; resolves with the order as it is afterwards. */
  async apply(tenantId: string, orderId: string, event: ShopEvent, eventId: string): Promise<Order> {
    const append = () =>
      this.store.appendToStream(orderStream(orderId), [{ id: eventId, type: event.type, data: event.data }], {
        tenantId,
        expectedVersion: 'stream_exists',
      });
    try {
      await append();
    } catch (error) {
      // The relay has not recorded the order's creation yet (a cancellation right after the
      // order was placed): record it from the outbox first, as the relay would, and go on.
      if (!(error instanceof WrongExpectedVersionError) || error.actual !== 0) throw error;
      if (!(await this.recordCreationFromOutbox(tenantId, orderId))) throw error;
      await append();
    }
    return this.applyToReadModel(tenantId, orderId, event, eventId);
  }

  /**
   * Applies the event to the order's row once, in one round trip after the read: the update is
   * conditional on the events applied so far (their count only grows), so a concurrent apply (the
   * parallel notification steps) makes it match nothing and this one reads again. The change that
   * ends the order forgets its card token in the same transaction.
   */
  private async applyToReadModel(
    tenantId: string,
    orderId: string,
    event: ShopEvent,
    eventId: string,
  ): Promise<Order> {
    for (;;) {
      const [row] = await this.db.query<{ document: Order; applied: string[] }>(
        'SELECT document, applied FROM orders WHERE tenant_id = $1 AND id = $2',
        [tenantId, orderId],
      );
      if (!row) throw new Error(`Order ${orderId} of tenant ${tenantId} does not exist.`);
      if (row.applied.includes(eventId)) return row.document;
      const order = evolveOrder(row.document, event) as Order;
      const update = (db: Queryable) =>
        db.query(
          `UPDATE orders SET document = $3, status = $4, applied = applied || $5::jsonb, updated_at = now()
           WHERE tenant_id = $1 AND id = $2 AND jsonb_array_length(applied) = $6 RETURNING 1`,
          [
            tenantId,
            orderId,
            JSON.stringify(order),
            order.status,
            JSON.stringify([eventId]),
            row.applied.length,
          ],
        );
      // An order that ended will never be charged: its card token goes with it.
      const ends = FINAL_ORDER_STATUSES.has(order.status) && !FINAL_ORDER_STATUSES.has(row.document.status);
      const updated = ends
        ? await this.db.transaction(async (tx) => {
            const rows = await update(tx);
            if (rows.length > 0) await this.tokens.forget(tenantId, orderId, tx);
            return rows;
          })
        : await update(this.db);
      if (updated.length > 0) return order;
    }
  }

  /** Records the order's `order.created` from its outbox row; false when the outbox holds none. */
  private async recordCreationFromOutbox(tenantId: string, orderId: string): Promise<boolean> {
    const [row] = await this.db.query<{ data: Record<string, unknown>; history: OutboxEvent['history'] }>(
      `SELECT data, history FROM outbox WHERE tenant_id = $1 AND history->>'streamId' = $2`,
      [tenantId, orderStream(orderId)],
    );
    if (!row?.history) return false;
    await recordHistory(this.store, { tenantId, data: row.data, history: row.history });
    return true;
  }

  /** The order, or undefined when this tenant has no such order. */
  async find(tenantId: string, orderId: string): Promise<Order | undefined> {
    const [row] = await this.db.query<{ document: Order }>(
      'SELECT document FROM orders WHERE tenant_id = $1 AND id = $2',
      [tenantId, orderId],
    );
    return row?.document;
  }

  /** The order's events from its stream, oldest first. */
  async history(tenantId: string, orderId: string): Promise<HistoryEntry[]> {
    const { events } = await this.store.readStream(orderStream(orderId), { tenantId });
    return events.map((event) => ({
      id: event.id,
      type: event.type as ShopEvent['type'],
      version: event.streamVersion,
      at: event.timestamp.toISOString(),
      data: event.data,
    }));
  }

  /**
   * The Inngest events of the order, as the audit middleware recorded them: those the shop sent
   * and those that started its functions, with the runs they started.
   */
  async inngestEvents(tenantId: string, orderId: string): Promise<InngestEventEntry[]> {
    const { events } = await this.store.readStream(orderInngestStream(orderId), { tenantId });
    return events.map((event) => ({
      id: event.id,
      name: event.type,
      at: event.timestamp.toISOString(),
      ...(event.metadata.inngestRunId ? { runId: event.metadata.inngestRunId } : {}),
    }));
  }

  /** Orders of the tenant, newest first, filtered, one page at a time (ids are ULIDs: time-ordered). */
  async list(tenantId: string, filter: OrderFilter): Promise<OrderPage> {
    const conditions = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.customerId) add('customer_id = ?', filter.customerId);
    if (filter.after) add('id < ?', filter.after);
    params.push(filter.limit + 1);
    const rows = await this.db.query<{ document: Order }>(
      `SELECT document FROM orders WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, filter.limit).map((row) => row.document);
    return { items, nextCursor: rows.length > filter.limit ? items[items.length - 1].id : null };
  }

  /** How many orders of the tenant are in each state. */
  async countByStatus(tenantId: string): Promise<Record<string, number>> {
    const rows = await this.db.query<{ status: string; count: string }>(
      'SELECT status, count(*) AS count FROM orders WHERE tenant_id = $1 GROUP BY status',
      [tenantId],
    );
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }
}
