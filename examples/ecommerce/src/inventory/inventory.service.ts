import { Inject, Injectable } from '@nestjs/common';
import type { TenantConfig } from '../config/tenants';
import type { Database, Queryable } from '../database/database';
import { DATABASE } from '../database/database.module';
import type { Shortage } from '../domain/events';
import { OutOfStockError, ReservationNotFoundError } from './inventory.errors';

/** A quantity of one product. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** The stock of one product. */
export interface StockLevel {
  productId: string;
  /** Can be sold now. */
  available: number;
  /** Held for orders not yet shipped. */
  reserved: number;
}

/** A hold on stock for an order (or any reference), released or fulfilled later. */
export interface Reservation {
  id: string;
  reference: string;
  lines: StockLine[];
  status: 'reserved' | 'released' | 'fulfilled';
}

/**
 * Stock per tenant and product. A reservation is one conditional UPDATE per line inside one
 * transaction (`available >= quantity`), so concurrent orders can never oversell, and every
 * operation is idempotent by reservation id, so a retried saga step changes nothing twice.
 */
@Injectable()
export class InventoryService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Puts the catalog's opening stock in place for products that have no row yet. */
  async seed(tenant: TenantConfig): Promise<void> {
    for (const product of tenant.catalog) {
      await this.db.query(
        'INSERT INTO stock (tenant_id, product_id, available) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [tenant.id, product.id, product.initialStock],
      );
    }
  }

  /** The stock of a product, or undefined if the tenant does not stock it. */
  async level(tenantId: string, productId: string): Promise<StockLevel | undefined> {
    const [row] = await this.db.query<{ available: number; reserved: number }>(
      'SELECT available, reserved FROM stock WHERE tenant_id = $1 AND product_id = $2',
      [tenantId, productId],
    );
    return row && { productId, available: row.available, reserved: row.reserved };
  }

  /** The lines that cannot be served from stock right now (empty when all can). */
  async shortages(tenantId: string, lines: StockLine[]): Promise<Shortage[]> {
    const [shortages] = await this.shortagesOfEach(tenantId, [lines]);
    return shortages;
  }

  /**
   * `shortages` of many orders of the tenant, read with one query: each order's shortages, in the
   * order given. Every order is checked against the same stock, as if it came alone: the check is a
   * snapshot, and the reservation (`reserve`) is what guarantees the stock.
   */
  async shortagesOfEach(tenantId: string, orders: StockLine[][]): Promise<Shortage[][]> {
    const productIds = [...new Set(orders.flatMap((lines) => lines.map((line) => line.productId)))];
    const rows = await this.db.query<{ product_id: string; available: number }>(
      'SELECT product_id, available FROM stock WHERE tenant_id = $1 AND product_id = ANY($2::text[])',
      [tenantId, productIds],
    );
    const available = new Map(rows.map((row) => [row.product_id, row.available]));
    return orders.map((lines) =>
      lines
        .map((line) => ({
          productId: line.productId,
          requested: line.quantity,
          available: available.get(line.productId) ?? 0,
        }))
        .filter((line) => line.available < line.requested),
    );
  }

  /**
   * Reserves every line or none. Reserving an id that is already reserved returns it unchanged.
   * @throws OutOfStockError naming each short product; nothing is reserved then.
   */
  async reserve(
    tenantId: string,
    reservationId: string,
    reference: string,
    lines: StockLine[],
  ): Promise<Reservation> {
    return this.db.transaction(async (tx) => {
      const existing = await this.find(tx, tenantId, reservationId);
      if (existing && existing.status !== 'released') return existing;
      const shortages: Shortage[] = [];
      for (const line of lines) {
        const updated = await tx.query(
          `UPDATE stock SET available = available - $3, reserved = reserved + $3
           WHERE tenant_id = $1 AND product_id = $2 AND available >= $3 RETURNING available`,
          [tenantId, line.productId, line.quantity],
        );
        if (updated.length === 0)
          shortages.push({ productId: line.productId, requested: line.quantity, available: 0 });
      }
      if (shortages.length > 0) {
        for (const shortage of shortages) {
          shortage.available = (await this.levelIn(tx, tenantId, shortage.productId)) ?? 0;
        }
        // the transaction rolls back, undoing the lines that did fit
        throw new OutOfStockError(shortages);
      }
      await tx.query(
        `INSERT INTO reservations (tenant_id, id, reference, lines, status) VALUES ($1, $2, $3, $4, 'reserved')
         ON CONFLICT (tenant_id, id) DO UPDATE SET status = 'reserved', lines = EXCLUDED.lines`,
        [tenantId, reservationId, reference, JSON.stringify(lines)],
      );
      return { id: reservationId, reference, lines, status: 'reserved' as const };
    });
  }

  /** Returns the reserved stock; a reservation already released or unknown changes nothing. */
  async release(tenantId: string, reservationId: string): Promise<Reservation | undefined> {
    return this.settle(tenantId, reservationId, 'released');
  }

  /** The parcel has left: the reserved stock is gone for good. */
  async fulfil(tenantId: string, reservationId: string): Promise<Reservation | undefined> {
    return this.settle(tenantId, reservationId, 'fulfilled');
  }

  /** Adds stock; resolves with the new available quantity. */
  async restock(tenantId: string, productId: string, quantity: number): Promise<number> {
    const [row] = await this.db.query<{ available: number }>(
      'UPDATE stock SET available = available + $3 WHERE tenant_id = $1 AND product_id = $2 RETURNING available',
      [tenantId, productId, quantity],
    );
    return row.available;
  }

  /** A reservation of the tenant. @throws ReservationNotFoundError */
  async reservation(tenantId: string, reservationId: string): Promise<Reservation> {
    const found = await this.find(this.db, tenantId, reservationId);
    if (!found) throw new ReservationNotFoundError(reservationId);
    return found;
  }

  /** The reservations still holding stock of the product (not released, not fulfilled), oldest first. */
  async openReservations(tenantId: string, productId: string): Promise<Reservation[]> {
    const rows = await this.db.query<{ id: string; reference: string; lines: StockLine[] }>(
      `SELECT id, reference, lines FROM reservations
       WHERE tenant_id = $1 AND status = 'reserved' AND lines @> $2::jsonb ORDER BY created_at, id`,
      [tenantId, JSON.stringify([{ productId }])],
    );
    return rows.map((row) => ({ ...row, status: 'reserved' as const }));
  }

  private async settle(tenantId: string, reservationId: string, outcome: 'released' | 'fulfilled') {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ lines: StockLine[]; reference: string }>(
        `UPDATE reservations SET status = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'reserved'
         RETURNING lines, reference`,
        [tenantId, reservationId, outcome],
      );
      if (!row) return this.find(tx, tenantId, reservationId);
      for (const line of row.lines) {
        await tx.query(
          `UPDATE stock SET reserved = reserved - $3${outcome === 'released' ? ', available = available + $3' : ''}
           WHERE tenant_id = $1 AND product_id = $2`,
          [tenantId, line.productId, line.quantity],
        );
      }
      return { id: reservationId, reference: row.reference, lines: row.lines, status: outcome };
    });
  }

  private async levelIn(tx: Queryable, tenantId: string, productId: string): Promise<number | undefined> {
    const [row] = await tx.query<{ available: number }>(
      'SELECT available FROM stock WHERE tenant_id = $1 AND product_id = $2',
      [tenantId, productId],
    );
    return row?.available;
  }

  private async find(
    tx: Queryable,
    tenantId: string,
    reservationId: string,
  ): Promise<Reservation | undefined> {
    const [row] = await tx.query<{ reference: string; lines: StockLine[]; status: Reservation['status'] }>(
      'SELECT reference, lines, status FROM reservations WHERE tenant_id = $1 AND id = $2',
      [tenantId, reservationId],
    );
    return row && { id: reservationId, reference: row.reference, lines: row.lines, status: row.status };
  }
}
