import type { RegisteredFunction } from '../engine.types';

/**
 * Function config fields the engine does not run. A function using one is refused at sync (the
 * rest of the app syncs and runs), so that nothing silently behaves differently from Inngest.
 */
const UNSUPPORTED_FEATURES = ['batchEvents', 'throttle', 'debounce', 'priority'] as const;

/** @internal The first unsupported feature a registered function uses, if any. */
export function findUnsupportedFeature(fn: RegisteredFunction): string | undefined {
  return UNSUPPORTED_FEATURES.find((feature) => fn[feature] !== undefined && fn[feature] !== null);
}
