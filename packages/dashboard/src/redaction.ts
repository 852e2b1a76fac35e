import type { ResolvedDashboardOptions } from './dashboard.options';

/** The text that replaces a hidden value. */
export const REDACTED = '[redacted]';

const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
/** Stripe-style card tokens and bare card numbers (13 to 19 digits, spaces or dashes allowed). */
const CARD = /\btok_\w+|\b(?:\d[ -]?){12,18}\d\b/g;

/** @internal Hides redacted fields and masks emails and card tokens in any JSON-like value. */
export function createRedactor(option: ResolvedDashboardOptions['redact']): (value: unknown) => unknown {
  if (option === false) return (value) => value;
  const { fields } = option;
  const mask = (text: string) => text.replace(EMAIL, REDACTED).replace(CARD, REDACTED);
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return mask(value);
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        fields.has(key.toLowerCase()) && item !== undefined && item !== null
          ? REDACTED
          : walk(item, depth + 1);
    }
    return out;
  };
  return (value) => walk(value, 0);
}
