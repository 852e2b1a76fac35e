import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';

/** A payment as `GET /payments/:id` returns it. */
export interface Payment {
  id: string;
  tenantId: string;
  orderId: string | null;
  status: 'processed' | 'failed' | 'refunded';
  amount: number;
  currency: string;
  chargeId?: string;
  refundId?: string;
  failure?: { code: string; detail: string };
  createdAt: string;
}

/** Payments by tenant; writes are idempotent by payment id. */
@Injectable()
export class PaymentsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Stores the payment, or replaces it (same id: a retried step, or a refund). */
  async save(payment: Payment): Promise<Payment> {
    await this.db.query(
      `INSERT INTO payments (tenant_id, id, order_id, status, amount, currency, document)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, id) DO UPDATE SET status = EXCLUDED.status, document = EXCLUDED.document`,
      [
        payment.tenantId,
        payment.id,
        payment.orderId,
        payment.status,
        payment.amount,
        payment.currency,
        JSON.stringify(payment),
      ],
    );
    return payment;
  }

  /** The payment, or undefined when this tenant has none with this id. */
  async find(tenantId: string, paymentId: string): Promise<Payment | undefined> {
    const [row] = await this.db.query<{ document: Payment }>(
      'SELECT document FROM payments WHERE tenant_id = $1 AND id = $2',
      [tenantId, paymentId],
    );
    return row?.document;
  }
}
