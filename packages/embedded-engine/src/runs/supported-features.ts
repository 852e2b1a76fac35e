import type { RegisteredFunction } from '../engine.types';

/**
 * Every function config field of the SDK's registration schema (inngest v4 `functionConfigSchema`,
 * strict), all of which the engine runs. A field outside it (a newer SDK's) refuses its function
 * at sync, so that nothing is silently ignored; the rest of the app syncs and runs.
 */
const KNOWN_FIELDS = new Set([
  'id',
  'name',
  'triggers',
  'steps',
  'idempotency',
  'batchEvents',
  'rateLimit',
  'throttle',
  'singleton',
  'cancel',
  'debounce',
  'timeouts',
  'priority',
  'concurrency',
]);
const KNOWN_TRIGGER_FIELDS = new Set(['event', 'expression', 'cron', 'jitter']);

/** @internal The first config field of a registered function that the engine does not know. */
export function findUnsupportedFeature(fn: RegisteredFunction): string | undefined {
  const field = Object.keys(fn).find(
    (key) => !KNOWN_FIELDS.has(key) && fn[key] !== undefined && fn[key] !== null,
  );
  if (field) return field;
  for (const trigger of fn.triggers ?? []) {
    const unknown = Object.keys(trigger).find((key) => !KNOWN_TRIGGER_FIELDS.has(key));
    if (unknown) return `triggers[].${unknown}`;
  }
  return undefined;
}
