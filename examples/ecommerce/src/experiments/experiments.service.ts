import { Injectable } from '@nestjs/common';
import { EventStore, WrongExpectedVersionError } from '@sagaline/event-store';
import { assignVariant, CHECKOUT_EXPERIMENT, type ExperimentDefinition } from './experiment';
import {
  CONVERTED,
  EXPOSED,
  type ExperimentEventData,
  experimentResults,
  type VariantCounts,
  variantDocumentId,
} from './experiment-results.projection';
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
 * stores the first exposure and the conversion (an order that ships) as events in the tenant's
 * event store, one stream per customer and experiment, and reports conversion rates from the
 * `experiment-results` projection with a significance test against the control.
 */
@Injectable()
export class ExperimentsService {
  readonly experiments: ExperimentDefinition[] = [CHECKOUT_EXPERIMENT];

  constructor(private readonly store: EventStore) {}

  /** The customer's variant; the first call stores the exposure. */
  async expose(tenantId: string, customerId: string, experiment = CHECKOUT_EXPERIMENT): Promise<string> {
    const variant = assignVariant(experiment, tenantId, customerId);
    // the id makes the exposure once per customer: a second one is a replay, nothing is stored
    await this.store.appendToStream(
      experimentStream(experiment, customerId),
      [
        {
          id: `${EXPOSED}:${experiment.name}:${customerId}`,
          type: EXPOSED,
          data: { experiment: experiment.name, variant, customerId } satisfies ExperimentEventData,
        },
      ],
      { tenantId },
    );
    return variant;
  }

  /**
   * Stores the customer's conversion by this order; a customer converts once, and only after an
   * exposure. Resolves true the first time.
   */
  async convert(
    tenantId: string,
    customerId: string,
    orderId: string,
    experiment = CHECKOUT_EXPERIMENT,
  ): Promise<boolean> {
    const variant = assignVariant(experiment, tenantId, customerId);
    try {
      const { idempotent } = await this.store.appendToStream(
        experimentStream(experiment, customerId),
        [
          {
            id: `${CONVERTED}:${experiment.name}:${customerId}`,
            type: CONVERTED,
            data: { experiment: experiment.name, variant, customerId, orderId } satisfies ExperimentEventData,
          },
        ],
        { tenantId, expectedVersion: 'stream_exists' },
      );
      return !idempotent;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return false; // never exposed
      throw error;
    }
  }

  /** Conversion rates per variant, each compared with the control. */
  async report(tenantId: string): Promise<ExperimentReport[]> {
    const results = this.store.projection<VariantCounts>(experimentResults.name);
    return Promise.all(
      this.experiments.map(async (experiment) => {
        const counts = new Map(
          await Promise.all(
            experiment.variants.map(
              async ({ name }) =>
                [
                  name,
                  (await results.get(variantDocumentId(experiment.name, name), { tenantId })) ?? {
                    exposures: 0,
                    conversions: 0,
                  },
                ] as const,
            ),
          ),
        );
        const control = experiment.variants[0].name;
        const controlCounts = counts.get(control) as VariantCounts;
        return {
          experiment: experiment.name,
          control,
          variants: experiment.variants.map(({ name }) => {
            const { exposures, conversions } = counts.get(name) as VariantCounts;
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

const experimentStream = (experiment: ExperimentDefinition, customerId: string) =>
  `experiment-${experiment.name}-${customerId}`;
