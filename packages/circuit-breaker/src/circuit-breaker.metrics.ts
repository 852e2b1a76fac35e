import { Counter, Gauge, type Registry, register } from 'prom-client';
import type { CircuitState } from './breaker.options';
import type { CallOutcome } from './circuit-breaker';

const STATE_VALUES: Record<CircuitState, number> = {
  closed: 0,
  open: 1,
  half_open: 2,
  forced_open: 3,
  forced_closed: 4,
};

/** @internal Prometheus metrics of the breakers (prom-client). */
export class CircuitBreakerMetrics {
  private readonly state: Gauge<'name'>;
  private readonly calls: Counter<'name' | 'outcome'>;

  constructor(registry: Registry = register) {
    const existing = (metric: string) => registry.getSingleMetric(metric);
    this.state =
      (existing('circuit_breaker_state') as Gauge<'name'>) ??
      new Gauge({
        name: 'circuit_breaker_state',
        help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 forced open, 4 forced closed',
        labelNames: ['name'],
        registers: [registry],
      });
    this.calls =
      (existing('circuit_breaker_calls_total') as Counter<'name' | 'outcome'>) ??
      new Counter({
        name: 'circuit_breaker_calls_total',
        help: 'Calls through circuit breakers by outcome (success, failure, ignored, rejected, timeout)',
        labelNames: ['name', 'outcome'],
        registers: [registry],
      });
  }

  /** A per-breaker call counter with its label children bound once, so counting stays cheap. */
  callCounter(name: string): (outcome: CallOutcome) => void {
    const children = new Map<CallOutcome, { inc(): void }>();
    return (outcome) => {
      let child = children.get(outcome);
      if (!child) {
        child = this.calls.labels(name, outcome);
        children.set(outcome, child);
      }
      child.inc();
    };
  }

  setState(name: string, state: CircuitState): void {
    this.state.labels(name).set(STATE_VALUES[state]);
  }
}
