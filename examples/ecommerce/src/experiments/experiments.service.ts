import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';
import { assignVariant, CHECKOUT_EXPERIMENT, type ExperimentDefinition } from './experiment';
import { type SignificanceResult, twoProportionZTest } from './significance';

/** One variant's numbers. */
export interface VariantReport {
  variant: string;
  exposures: number;
  conversions: number;
  conversionRate: number;
  /** Against the control; absent for the control itself, null while there is too little data. */
  significance?: SignificanceResult | null;
}

/** `GET /analytics/experiments`: every experiment with its variants. */
export interface ExperimentReport {
  experiment: string;
  control: string;
  variants: VariantReport[];
}

/**
 * The checkout experiment: assigns each customer a variant (deterministic, see `assignVariant`),
 * records the first exposure and the conversion (an order that ships), and reports conversion
 * rates with a significance test against the control.
 */
@Injectable()
export class ExperimentsService {
  readonly experiments: ExperimentDefinition[] = [CHECKOUT_EXPERIMENT];

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The customer's variant; the first call records the exposure. */
  async expose(tenantId: string, customerId: string, experiment = CHECKOUT_EXPERIMENT): Promise<string> {
    const variant = assignVariant(experiment, tenantId, customerId);
    await this.db.query(
      `INSERT INTO experiment_exposures (tenant_id, experiment, customer_id, variant) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [tenantId, experiment.name, customerId, variant],
    );
    return variant;
  }

  /** Records a conversion; a customer converts once. Resolves true the first time. */
  async convert(tenantId: string, customerId: string, experiment = CHECKOUT_EXPERIMENT): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE experiment_exposures SET converted_at = now()
       WHERE tenant_id = $1 AND experiment = $2 AND customer_id = $3 AND converted_at IS NULL RETURNING variant`,
      [tenantId, experiment.name, customerId],
    );
    return rows.length > 0;
  }

  /** Conversion rates per variant, each compared with the control. */
  async report(tenantId: string): Promise<ExperimentReport[]> {
    return Promise.all(
      this.experiments.map(async (experiment) => {
        const rows = await this.db.query<{ variant: string; exposures: string; conversions: string }>(
          `SELECT variant, count(*) AS exposures, count(converted_at) AS conversions FROM experiment_exposures
           WHERE tenant_id = $1 AND experiment = $2 GROUP BY variant`,
          [tenantId, experiment.name],
        );
        const counts = new Map(
          rows.map((row) => [
            row.variant,
            { exposures: Number(row.exposures), conversions: Number(row.conversions) },
          ]),
        );
        const control = experiment.variants[0].name;
        const controlCounts = counts.get(control) ?? { exposures: 0, conversions: 0 };
        return {
          experiment: experiment.name,
          control,
          variants: experiment.variants.map(({ name }) => {
            const { exposures, conversions } = counts.get(name) ?? { exposures: 0, conversions: 0 };
            return {
              variant: name,
              exposures,
              conversions,
              conversionRate: exposures === 0 ? 0 : conversions / exposures,
              ...(name === control
                ? {}
                : { significance: twoProportionZTest(controlCounts, { exposures, conversions }) }),
            };
          }),
        };
      }),
    );
  }
}
