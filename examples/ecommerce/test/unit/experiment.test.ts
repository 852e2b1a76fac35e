import { describe, expect, it } from 'vitest';
import { assignVariant, CHECKOUT_EXPERIMENT } from '../../src/experiments/experiment';
import { twoProportionZTest } from '../../src/experiments/significance';

describe('variant assignment', () => {
  it('gives a customer the same variant every time', () => {
    const first = assignVariant(CHECKOUT_EXPERIMENT, 'acme', 'cust-42');
    for (let i = 0; i < 10; i++) expect(assignVariant(CHECKOUT_EXPERIMENT, 'acme', 'cust-42')).toBe(first);
  });

  it('splits customers close to the weights', () => {
    const counts: Record<string, number> = { control: 0, streamlined: 0 };
    for (let i = 0; i < 10_000; i++) counts[assignVariant(CHECKOUT_EXPERIMENT, 'acme', `customer-${i}`)]++;
    expect(counts.control / 10_000).toBeGreaterThan(0.48);
    expect(counts.control / 10_000).toBeLessThan(0.52);
  });

  it('honours uneven weights', () => {
    const experiment = {
      name: 'x',
      variants: [
        { name: 'a', weight: 9 },
        { name: 'b', weight: 1 },
      ],
    };
    let b = 0;
    for (let i = 0; i < 10_000; i++) if (assignVariant(experiment, 't', `c-${i}`) === 'b') b++;
    expect(b / 10_000).toBeGreaterThan(0.08);
    expect(b / 10_000).toBeLessThan(0.12);
  });
});

describe('the two-proportion z-test', () => {
  it('matches R prop.test(c(250, 200), c(1000, 1000), correct = FALSE): X² = 7.1685, p = 0.007419', () => {
    const result = twoProportionZTest(
      { exposures: 1000, conversions: 200 },
      { exposures: 1000, conversions: 250 },
    );
    expect(result!.z ** 2).toBeCloseTo(7.1685, 3);
    expect(result?.pValue).toBeCloseTo(0.007419, 5);
    expect(result?.significant).toBe(true);
  });

  it('finds no significance in equal rates', () => {
    const result = twoProportionZTest({ exposures: 50, conversions: 10 }, { exposures: 60, conversions: 12 });
    expect(result?.z).toBeCloseTo(0, 10);
    expect(result?.pValue).toBeCloseTo(1, 10);
    expect(result?.significant).toBe(false);
  });

  it('returns null without exposures or without variance', () => {
    expect(twoProportionZTest({ exposures: 0, conversions: 0 }, { exposures: 5, conversions: 1 })).toBeNull();
    expect(twoProportionZTest({ exposures: 5, conversions: 5 }, { exposures: 5, conversions: 5 })).toBeNull();
  });
});
