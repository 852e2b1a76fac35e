import { createHash } from 'node:crypto';

/** An A/B experiment: a name and its variants with their weights. */
export interface ExperimentDefinition {
  name: string;
  /** The first variant is the control the others are compared with. */
  variants: { name: string; weight: number }[];
}

/** The example's experiment: a streamlined checkout against the control. */
export const CHECKOUT_EXPERIMENT: ExperimentDefinition = {
  name: 'checkout-flow',
  variants: [
    { name: 'control', weight: 50 },
    { name: 'streamlined', weight: 50 },
  ],
};

/**
 * Picks a customer's variant: the same customer always gets the same variant, with no state to
 * store. SHA-256 of `tenant:experiment:customer` spreads customers evenly; its first 32 bits, as a
 * fraction of 2^32, pick a slot by the variants' weights (the scheme LaunchDarkly and Unleash use).
 */
export function assignVariant(
  experiment: ExperimentDefinition,
  tenantId: string,
  customerId: string,
): string {
  const digest = createHash('sha256').update(`${tenantId}:${experiment.name}:${customerId}`).digest();
  const position = digest.readUInt32BE(0) / 2 ** 32;
  const total = experiment.variants.reduce((sum, variant) => sum + variant.weight, 0);
  let threshold = 0;
  for (const variant of experiment.variants) {
    threshold += variant.weight / total;
    if (position < threshold) return variant.name;
  }
  return experiment.variants[experiment.variants.length - 1].name;
}
