import { Inject, Injectable } from '@nestjs/common';
import type { TenantConfig } from '../config/tenants';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';

/** `GET /analytics`. */
export interface AnalyticsSummary {
  tenant: string;
  currency: string;
  orders: { total: number; byStatus: Record<string, number> };
  /** Minor units, from shipped orders. */
  revenue: number;
  averageOrderValue: number;
  cancellations: Record<string, number>;
  /** Share of finished orders that shipped. */
  fulfilmentRate: number;
}

/** Business metrics computed from the orders read model. */
@Injectable()
export class AnalyticsService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async summary(tenant: TenantConfig): Promise<AnalyticsSummary> {
    const byStatus = await this.db.query<{ status: string; count: string; total: string }>(
      'SELECT status, count(*) AS count, coalesce(sum(total), 0) AS total FROM orders WHERE tenant_id = $1 GROUP BY status',
      [tenant.id],
    );
    const reasons = await this.db.query<{ reason: string; count: string }>(
      `SELECT document->'cancellation'->>'reason' AS reason, count(*) AS count FROM orders
       WHERE tenant_id = $1 AND status = 'cancelled' GROUP BY 1`,
      [tenant.id],
    );
    const counts = Object.fromEntries(byStatus.map((row) => [row.status, Number(row.count)]));
    const shipped = byStatus.find((row) => row.status === 'shipped');
    const revenue = Number(shipped?.total ?? 0);
    const finished = (counts.shipped ?? 0) + (counts.cancelled ?? 0) + (counts.failed ?? 0);
    return {
      tenant: tenant.id,
      currency: tenant.currency,
      orders: { total: Object.values(counts).reduce((sum, n) => sum + n, 0), byStatus: counts },
      revenue,
      averageOrderValue: counts.shipped ? Math.round(revenue / counts.shipped) : 0,
      cancellations: Object.fromEntries(reasons.map((row) => [row.reason, Number(row.count)])),
      fulfilmentRate: finished === 0 ? 0 : (counts.shipped ?? 0) / finished,
    };
  }
}
