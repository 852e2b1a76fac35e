import { CircuitBreakerConfigError } from './breaker.errors';

/** The states of a breaker, as resilience4j names them. */
export type CircuitState = 'closed' | 'open' | 'half_open' | 'forced_open' | 'forced_closed';

/** How a breaker decides; the names and defaults follow resilience4j. */
export interface CircuitBreakerOptions {
  /** `count`: the last `slidingWindowSize` calls; `time`: the calls of the last `slidingWindowSize` seconds. Default `count`. */
  slidingWindowType: 'count' | 'time';
  /** Calls (count window) or seconds (time window). Default 100. */
  slidingWindowSize: number;
  /** Calls needed in the window before any rate is judged. Default 100. */
  minimumNumberOfCalls: number;
  /** Failure rate (percent) at or above which the breaker opens. Default 50. */
  failureRateThreshold: number;
  /** Slow-call rate (percent) at or above which the breaker opens. Default 100 (off). */
  slowCallRateThreshold: number;
  /** A call at least this long (ms) is slow. Default 60000. */
  slowCallDurationThreshold: number;
  /** How long the breaker stays open before letting probes through (ms). Default 60000. */
  waitDurationInOpenState: number;
  /** Probes let through in half-open; exactly this many, across instances with a shared store. Default 10. */
  permittedNumberOfCallsInHalfOpenState: number;
  /** Aborts a call after this many ms (its `AbortSignal` fires) and counts a failure. Default: none. */
  timeoutMs?: number;
  /** Whether an error counts against the service. `false` ignores it (a card decline is not the gateway's fault). Default: every error counts. */
  isFailure?: (error: unknown) => boolean;
  /** Errors that retrying cannot fix; inside Inngest they become `NonRetriableError`. */
  isPermanent?: (error: unknown) => boolean;
  /** Jitter added to the retry time Inngest is given, as a fraction of it (0.1 = up to 10%). Default 0.1. */
  retryJitter?: number;
}

/** @internal */
export const DEFAULT_OPTIONS: CircuitBreakerOptions = {
  slidingWindowType: 'count',
  slidingWindowSize: 100,
  minimumNumberOfCalls: 100,
  failureRateThreshold: 50,
  slowCallRateThreshold: 100,
  slowCallDurationThreshold: 60_000,
  waitDurationInOpenState: 60_000,
  permittedNumberOfCallsInHalfOpenState: 10,
  retryJitter: 0.1,
};

const KNOWN = new Set([...Object.keys(DEFAULT_OPTIONS), 'timeoutMs', 'isFailure', 'isPermanent']);

/** @internal Merges and checks options; a bad one fails with its name and the accepted values. */
export function resolveOptions(
  name: string,
  ...layers: Array<Partial<CircuitBreakerOptions> | undefined>
): CircuitBreakerOptions {
  const options = Object.assign({}, DEFAULT_OPTIONS, ...layers.filter(Boolean)) as CircuitBreakerOptions;
  const fail = (option: string, rule: string) => {
    throw new CircuitBreakerConfigError(
      option,
      `Circuit "${name}": \`${option}\` ${rule} (got ${String((options as any)[option])}).`,
    );
  };
  for (const layer of layers) {
    for (const key of Object.keys(layer ?? {})) {
      if (!KNOWN.has(key))
        fail(key, `is not a circuit breaker option; known options: ${[...KNOWN].join(', ')}`);
    }
  }
  if (!['count', 'time'].includes(options.slidingWindowType))
    fail('slidingWindowType', "must be 'count' or 'time'");
  const positiveInt = (key: keyof CircuitBreakerOptions) => {
    const value = options[key] as number;
    if (!Number.isInteger(value) || value < 1) fail(key, 'must be a whole number of at least 1');
  };
  positiveInt('slidingWindowSize');
  positiveInt('minimumNumberOfCalls');
  positiveInt('permittedNumberOfCallsInHalfOpenState');
  for (const key of ['failureRateThreshold', 'slowCallRateThreshold'] as const) {
    if (!(options[key] > 0 && options[key] <= 100)) fail(key, 'must be a percentage above 0 and at most 100');
  }
  for (const key of ['slowCallDurationThreshold', 'waitDurationInOpenState'] as const) {
    if (!(options[key] >= 0)) fail(key, 'must be a duration in ms, 0 or more');
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0))
    fail('timeoutMs', 'must be a duration in ms above 0');
  return options;
}
