import type { ProjectionDefinition } from '@sagaline/event-store';

/** An exposure: the customer saw the variant (stored once per customer and experiment). */
export const EXPOSED = 'experiment.exposed';
/** A conversion: the customer's order shipped (stored once per customer and experiment). */
export const CONVERTED = 'experiment.converted';

/** The payload of both experiment events. */
export interface ExperimentEventData {
  experiment: string;
  variant: string;
  customerId: string;
  orderId?: string;
}

/** The counts of one variant of one experiment, in the tenant's documents. */
export interface VariantCounts {
  exposures: number;
  conversions: number;
}

/** The id of a variant's document. */
export const variantDocumentId = (experiment: string, variant: string) => `${experiment}:${variant}`;

/**
 * Exposures and conversions per variant, counted from the experiment events. Inline: updated in
 * the append's transaction, so the report never lags the events, and an event stored once (a
 * replayed append stores nothing) is counted once.
 */
export const experimentResults: ProjectionDefinition<VariantCounts> = {
  name: 'experiment-results',
  mode: 'inline',
  eventTypes: [EXPOSED, CONVERTED],
  async evolve(event, documents) {
    const { experiment, variant } = event.data as ExperimentEventData;
    const id = variantDocumentId(experiment, variant);
    const counts = (await documents.get(id)) ?? { exposures: 0, conversions: 0 };
    await documents.put(
      id,
      event.type === EXPOSED
        ? { ...counts, exposures: counts.exposures + 1 }
        : { ...counts, conversions: counts.conversions + 1 },
    );
  },
};
