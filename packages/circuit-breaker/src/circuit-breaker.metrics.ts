import { Counter, Gauge, type Registry, register } from 'prom-client';
import type { CircuitState } from './breaker.options';
import type { CallOutcome, CircuitSnapshot } from './circuit-breaker';

const STATE_VALUES: Record<CircuitState, number> = {
  closed: 0,
  open: 1,
  half_open: 2,
  forced_open: 3,
  forced_closed: 4,
};

const OUTCOMES: CallOutcome[] = ['success', 'failure', 'ignored', 'rejected', 'timeout'];

/** The breakers of one service, read at scrape time. */
type Source = () => Iterable<CircuitSnapshot>;

// The sources hang on the registry under a global symbol: another copy of this package (ESM and
// CJS in one process) may have registered the metrics, and its `collect` must see our breakers.
const SOURCES = Symbol.for('sagaline:circuit-breaker:metric-sources');
type WithSources = Registry & { [SOURCES]?: Set<Source> };

/**
 * @internal Prometheus metrics of the breakers (prom-client). Nothing goes through prom-client per
 * call (a `labels().inc()` costs more than the breaker itself): each breaker counts its calls in
 * plain fields, and the metrics read them when the registry is scraped (`collect`).
 */
export class CircuitBreakerMetrics {
  private readonly sources: Set<Source>;

  constructor(
    private readonly source: Source,
    registry: Registry = register,
  ) {
    const withSources = registry as WithSources;
    withSources[SOURCES] ??= new Set();
    const sources = withSources[SOURCES];
    this.sources = sources;
    const snapshots = function* () {
      for (const read of sources) yield* read();
    };
    if (!registry.getSingleMetric('circuit_breaker_state')) {
      new Gauge({
        name: 'circuit_breaker_state',
        help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 forced open, 4 forced closed',
        labelNames: ['name'],
        registers: [registry],
        collect() {
          this.reset();
          for (const breaker of snapshots()) this.set({ name: breaker.name }, STATE_VALUES[breaker.state]);
        },
      });
    }
    if (!registry.getSingleMetric('circuit_breaker_calls_total')) {
      new Counter({
        name: 'circuit_breaker_calls_total',
        help: 'Calls through circuit breakers by outcome (success, failure, ignored, rejected, timeout)',
        labelNames: ['name', 'outcome'],
        registers: [registry],
        collect() {
          this.reset();
          for (const breaker of snapshots()) {
            for (const outcome of OUTCOMES) {
              const calls = breaker.totals[outcome];
              if (calls > 0) this.inc({ name: breaker.name, outcome }, calls);
            }
          }
        },
      });
    }
    sources.add(source);
  }

  /** Stops reporting this service's breakers. */
  close(): void {
    this.sources.delete(this.source);
  }
}
