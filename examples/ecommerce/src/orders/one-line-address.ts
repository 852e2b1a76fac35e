import type { ShippingAddress } from '../domain/events';

/** What a one-line address says: everything of a `ShippingAddress` but the recipient and the country. */
export type AddressLines = Omit<ShippingAddress, 'name' | 'country'>;

/** How a one-line address must be written, for error messages. */
export const ONE_LINE_ADDRESS_FORMAT =
  'write it as "street, city, region postal-code", e.g. "123 Main St, Springfield, IL 62704"';

// the last part: an optional region, then the postal code, the last word, with a digit in it
const REGION_AND_POSTAL_CODE = /^(?:(?<region>.*\S)\s+)?(?<postalCode>\S*\d\S*)$/;

/**
 * Splits `"123 Main St, City, State 12345"` into its lines: the first part is the street, the
 * next-to-last the city, the last the region and the postal code, and parts in between (an
 * apartment) the second line. The region stays with the city (`City, State`), as a label prints
 * it, since a `ShippingAddress` has no field of its own for it. `undefined` when the text does not
 * have that shape.
 */
export function parseOneLineAddress(text: string): AddressLines | undefined {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length < 3) return undefined;
  const last = REGION_AND_POSTAL_CODE.exec(parts[parts.length - 1])?.groups;
  if (!last || last.postalCode.length > 16) return undefined;
  const city = parts[parts.length - 2];
  const between = parts.slice(1, -2);
  return {
    line1: parts[0],
    ...(between.length > 0 ? { line2: between.join(', ') } : {}),
    city: last.region ? `${city}, ${last.region}` : city,
    postalCode: last.postalCode,
  };
}
