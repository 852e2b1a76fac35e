/**
 * How many decimals the currency's minor unit has (USD 2, JPY 0, BHD 3), from the ISO 4217 data
 * that ships with Node's `Intl`.
 */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits as number;
}

/**
 * An amount in the currency's units (`29.99`) in minor units (`2999`); `undefined` when it has more
 * decimals than the currency has (`29.999` USD), which no price can be.
 */
export function toMinorUnits(amount: number, currency: string): number | undefined {
  const scaled = amount * 10 ** minorUnitDigits(currency);
  const minor = Math.round(scaled);
  // binary floating point: 29.99 * 100 is 2998.9999999999995
  return Math.abs(scaled - minor) < 1e-6 ? minor : undefined;
}

/** Minor units (`2999`) as the currency's units (`29.99`), for messages. */
export function formatMinorUnits(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}
