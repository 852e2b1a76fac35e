import { Injectable } from '@nestjs/common';
import { CircuitBreakerService } from './circuit-breaker.service';

/** The result of `CircuitBreakerHealthIndicator.isHealthy()`, in `@nestjs/terminus`'s shape. */
export type CircuitBreakerHealthResult = Record<
  string,
  { status: 'up' | 'down'; open: string[]; breakers: Record<string, string> }
>;

/**
 * A `@nestjs/terminus` health indicator: down while any breaker is open (or forced open), naming
 * them. It returns terminus's result shape without importing terminus, an optional peer.
 */
@Injectable()
export class CircuitBreakerHealthIndicator {
  /** @internal */
  constructor(private readonly breakers: CircuitBreakerService) {}

  /** Reports `down` with the open breakers' names, `up` otherwise. */
  isHealthy(key = 'circuit-breakers'): CircuitBreakerHealthResult {
    const snapshots = this.breakers.list();
    const open = snapshots.filter((s) => s.state === 'open' || s.state === 'forced_open').map((s) => s.name);
    return {
      [key]: {
        status: open.length > 0 ? 'down' : 'up',
        open,
        breakers: Object.fromEntries(snapshots.map((s) => [s.name, s.state])),
      },
    };
  }
}
