import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';
import type { ShopEvent } from '../domain/events';
import { evolveOrder, type Order, type OrderStatus } from '../domain/order';

/** One event in an order's history. */
export interface HistoryEntry {
  id: string;
  type: ShopEvent['type'];
  at: string;
  data: unknown;
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
 * The orders read model: one row per order, its current state as JSON, the columns the API filters
 * on, and the events applied so far. Applying an event is idempotent by event id, so a saga step
 * retried after a crash never applies its event twice.
 */
@Injectable()
export class OrdersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Stores a new order from its `order.created` event. */
  async create(event: Extract<ShopEvent, { type: 'order.created' }>, eventId: string): Promise<Order> {
    const order = evolveOrder(null, event) as Order;
    const history: HistoryEntry[] = [
      { id: eventId, type: event.type, at: new Date().toISOString(), data: event.data },
    ];
    await this.db.query(
      `INSERT INTO orders (tenant_id, id, customer_id, status, total, currency, document, history)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        order.tenantId,
        order.id,
        order.customerId,
        order.status,
        order.total,
        order.currency,
        JSON.stringify(order),
        JSON.stringify(history),
      ],
    );
    return order;
  }

  /** Removes an order that could not be handed to the pipeline, so nothing half-made is left. */
  async discard(tenantId: string, orderId: string): Promise<void> {
    await this.db.query('DELETE FROM orders WHERE tenant_id = $1 AND id = $2', [tenantId, orderId]);
  }

  /** Applies an event to an order once; resolves with the order as it is afterwards. */
  async apply(tenantId: string, orderId: string, event: ShopEvent, eventId: string): Promise<Order> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ document: Order; history: HistoryEntry[] }>(
        'SELECT document, history FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
        [tenantId, orderId],
      );
      if (!row) throw new Error(`Order ${orderId} of tenant ${tenantId} does not exist.`);
      if (row.history.some((entry) => entry.id === eventId)) return row.document;
      const order = evolveOrder(row.document, event) as Order;
      const entry: HistoryEntry = {
        id: eventId,
        type: event.type,
        at: new Date().toISOString(),
        data: event.data,
      };
      await tx.query(
        `UPDATE orders SET document = $3, status = $4, history = history || $5::jsonb, updated_at = now()
         WHERE tenant_id = $1 AND id = $2`,
        [tenantId, orderId, JSON.stringify(order), order.status, JSON.stringify([entry])],
      );
      return order;
    });
  }

  /** The order, or undefined when this tenant has no such order. */
  async find(
    tenantId: string,
    orderId: string,
  ): Promise<{ order: Order; history: HistoryEntry[] } | undefined> {
    const [row] = await this.db.query<{ document: Order; history: HistoryEntry[] }>(
      'SELECT document, history FROM orders WHERE tenant_id = $1 AND id = $2',
      [tenantId, orderId],
    );
    return row && { order: row.document, history: row.history };
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
