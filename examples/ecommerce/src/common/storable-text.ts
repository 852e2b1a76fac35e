import type { FieldError } from './validation';

/**
 * A NUL (which PostgreSQL's `text` and `jsonb` refuse) or a UTF-16 surrogate without its pair
 * (which is no Unicode text at all). With the `u` flag a well-formed pair is one code point, so only
 * a lone half matches `\p{Cs}`.
 */
const UNSTORABLE = /[\0\p{Cs}]/u;

function problemOf(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  if (match[0] === '\0') return 'contains a NUL character (\\u0000), which cannot be stored: remove it';
  const code = match[0].charCodeAt(0).toString(16);
  return `contains a lone UTF-16 surrogate (\\u${code}), which is not text: send well-formed Unicode`;
}

/**
 * Every string in `value` (keys included, at any depth) that cannot be stored, as field errors
 * named by their path (`items.0.productId`); empty when all of it can.
 */
export function unstorableText(value: unknown, path: (string | number)[] = []): FieldError[] {
  if (typeof value === 'string') {
    const message = problemOf(value);
    return message ? [{ field: path.join('.'), message }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => unstorableText(item, [...path, index]));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const keyProblem = problemOf(key);
    const field = [...path, keyProblem ? JSON.stringify(key) : key];
    return keyProblem
      ? [{ field: field.join('.'), message: `the field name ${keyProblem}` }]
      : unstorableText(item, field);
  });
}
