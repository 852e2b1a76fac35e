import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '../database/database';
import { DATABASE } from '../database/database.module';
import { PiiCipher, type Sealed } from './pii-cipher';

/**
 * Where an order's card token waits for its charge, sealed, and nowhere else: the token is in no
 * event, no read model and no log. It is forgotten once the gateway has answered the charge (or
 * the order ends without one), so nothing keeps it past the gateway call.
 */
@Injectable()
export class PaymentTokenVault {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cipher: PiiCipher,
  ) {}

  /** Keeps the token of an order, inside the caller's transaction. */
  async keep(tx: Queryable, tenantId: string, orderId: string, token: string): Promise<void> {
    await tx.query(
      `INSERT INTO payment_tokens (tenant_id, order_id, token) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, order_id) DO NOTHING`,
      [tenantId, orderId, this.cipher.seal(token)],
    );
  }

  /** The order's token, or undefined once it is forgotten. */
  async find(tenantId: string, orderId: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ token: Sealed<string> }>(
      'SELECT token FROM payment_tokens WHERE tenant_id = $1 AND order_id = $2',
      [tenantId, orderId],
    );
    return row ? this.cipher.open(row.token) : undefined;
  }

  /** Forgets the order's token (inside the caller's transaction, if given). */
  async forget(tenantId: string, orderId: string, db: Queryable = this.db): Promise<void> {
    await db.query('DELETE FROM payment_tokens WHERE tenant_id = $1 AND order_id = $2', [tenantId, orderId]);
  }
}
