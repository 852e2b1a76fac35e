import { DEFAULT_REDACTED_FIELDS } from '../engine.options';
import type { RunRecord } from '../engine.types';

/** What replaces a redacted value. */
export const REDACTED = '[redacted]';

/**
 * The engine's `redact` option: field names to hide, or a function that returns the run as
 * it may be shown.
 */
export type RedactOption = readonly string[] | ((run: RunRecord) => RunRecord);

/**
 * A copy of `run` as the inspection API may show it; for any other place that shows runs (a
 * dashboard, a log line). With a list of field
 * names, every value under a matching key (compared case-insensitively, at any depth) in the
 * events' data, the output, the error, the memoized step results and the timeline's outputs and
 * errors becomes `"[redacted]"`. A function gets a deep copy, so whatever it does cannot reach the
 * engine's own state. The input is never changed.
 *
 * @example
 * ```ts
 * redactRun(run, ['cardToken']).event.data; // { orderId: 'o-1', cardToken: '[redacted]' }
 * ```
 */
export function redactRun(run: RunRecord, redact: RedactOption = DEFAULT_REDACTED_FIELDS): RunRecord {
  if (typeof redact === 'function') return redact(structuredClone(run));
  const fields = new Set(redact.map((field) => field.toLowerCase()));
  const copy = structuredClone(run);
  for (const event of [copy.event, ...copy.events]) event.data = redactValue(event.data, fields);
  copy.steps = redactValue(copy.steps, fields);
  for (const target of [copy, ...copy.timeline]) {
    if (target.output !== undefined) target.output = redactValue(target.output, fields);
    if (target.error !== undefined) target.error = redactValue(target.error, fields);
  }
  return copy;
}

/**
 * @internal A deep copy of a JSON-like value in which every value under a key named in `fields`
 * (lower-case) is `"[redacted]"`. Keys are compared case-insensitively so that `Email` and
 * `email` are both hidden by `'email'`.
 */
export function redactValue<T>(value: T, fields: ReadonlySet<string>): T {
  if (Array.isArray(value)) return value.map((item) => redactValue(item, fields)) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] = fields.has(key.toLowerCase()) ? REDACTED : redactValue(field, fields);
  }
  return copy as T;
}
