import { errorFunction } from 'simple-statistics';

/** Conversions out of exposures for one variant. */
export interface VariantCounts {
  exposures: number;
  conversions: number;
}

/** The outcome of comparing a variant's conversion rate with the control's. */
export interface SignificanceResult {
  /** The test used. */
  test: 'two-proportion z-test';
  /** Standard score of the difference; positive when the variant converts better. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Whether `pValue` is below `alpha`. */
  significant: boolean;
  alpha: number;
}

/** The standard normal CDF, from the error function of simple-statistics. */
function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/**
 * Compares two conversion rates with a two-sided two-proportion z-test (pooled variance):
 * z = (p_v - p_c) / sqrt(p (1 - p) (1/n_c + 1/n_v)), p the pooled rate. It is the textbook test for
 * A/B conversion rates (equivalent to a chi-square test of the 2x2 table) and is sound when each
 * group has at least a handful of conversions and non-conversions; with fewer, read it as a hint.
 * Returns `null` while either group has no exposures or the pooled rate is 0 or 1 (no variance).
 */
export function twoProportionZTest(
  control: VariantCounts,
  variant: VariantCounts,
  alpha = 0.05,
): SignificanceResult | null {
  if (control.exposures === 0 || variant.exposures === 0) return null;
  const pooled = (control.conversions + variant.conversions) / (control.exposures + variant.exposures);
  if (pooled === 0 || pooled === 1) return null;
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / control.exposures + 1 / variant.exposures));
  const z =
    (variant.conversions / variant.exposures - control.conversions / control.exposures) / standardError;
  const pValue = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { test: 'two-proportion z-test', z, pValue, significant: pValue < alpha, alpha };
}
