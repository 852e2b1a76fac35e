import type { ResolvedDashboardOptions } from './dashboard.options';

/** The text that replaces a hidden value. */
export const REDACTED = '[redacted]';

const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
/** Stripe-style card tokens, and runs of 13 to 19 digits (spaces or dashes allowed) that may be card numbers. */
const CARD = /\btok_\w+|\b(?:\d[ -]?){12,18}\d\b/g;
/** Deeper than this, a value is hidden whole rather than walked: a payload that deep is not read anyway. */
const MAX_DEPTH = 32;

/**
 * @internal A field name as redaction compares it: lower-case, without `-` and `_`, so that
 * `api_key`, `X-Api-Key` and `apiKey` are one name.
 */
export const normalizeFieldName = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/** Whether a digit run passes the Luhn check, as every card number does (and 9 in 10 other numbers do not). */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

// an order id or business key of 13+ digits must stay readable (and its links must work): only a card number is masked
const maskCard = (found: string) =>
  found.startsWith('tok_') || passesLuhn(found.replace(/[ -]/g, '')) ? REDACTED : found;

/** @internal Hides redacted fields and masks emails and card tokens in any JSON-like value. */
export function createRedactor(option: ResolvedDashboardOptions['redact']): (value: unknown) => unknown {
  if (option === false) return (value) => value;
  const { words, fields } = option;
  const hidden = (key: string) => {
    const name = normalizeFieldName(key);
    return fields.has(name) || words.some((word) => name.includes(word));
  };
  const mask = (text: string) => text.replace(EMAIL, REDACTED).replace(CARD, maskCard);
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return mask(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_DEPTH) return REDACTED;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = hidden(key) && item !== undefined && item !== null ? REDACTED : walk(item, depth + 1);
    }
    return out;
  };
  return (value) => walk(value, 0);
}
