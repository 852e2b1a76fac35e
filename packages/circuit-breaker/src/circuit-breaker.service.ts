import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { CircuitBreakerConfigError } from './breaker.errors';
import type { CircuitBreakerOptions } from './breaker.options';
import { resolveOptions } from './breaker.options';
import {
  CircuitBreaker,
  type CircuitSnapshot,
  type CircuitStateChange,
  type ExecuteOptions,
} from './circuit-breaker';
import { CircuitBreakerMetrics } from './circuit-breaker.metrics';
import {
  CIRCUIT_BREAKER_OPTIONS,
  CIRCUIT_BREAKER_OWNED_STORE,
  type CircuitBreakerModuleOptions,
} from './circuit-breaker.module-definition';
import type { SharedStoreConfig } from './stores/circuit-store';
import { isRedisConnectionConfig, type OwnedRedisStore } from './stores/redis-connection';

/**
 * The app's circuit breakers, by name: run calls through them, read their state, control them.
 *
 * @example
 * ```ts
 * const receipt = await breakers.execute('payment-gateway', (signal) => gateway.charge(card, { signal }));
 * ```
 */
@Injectable()
export class CircuitBreakerService implements OnApplicationShutdown {
  private readonly logger = new Logger('CircuitBreaker');
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly changes = new Subject<CircuitStateChange>();
  private readonly metrics: CircuitBreakerMetrics;
  private last?: CircuitBreaker;
  private readonly shared?: SharedStoreConfig;

  /** Every state change of every breaker. */
  readonly stateChanges$: Observable<CircuitStateChange> = this.changes.asObservable();

  /**
   * @internal
   * @param owned - the Redis store the module opened for `store: { redis }`; the service closes it
   * at shutdown, after its breakers.
   */
  constructor(
    @Inject(CIRCUIT_BREAKER_OPTIONS) private readonly options: CircuitBreakerModuleOptions,
    @Optional() @Inject(CIRCUIT_BREAKER_OWNED_STORE) private readonly owned?: OwnedRedisStore | null,
  ) {
    const store = options.store;
    if (isRedisConnectionConfig(store)) {
      if (!owned) {
        throw new CircuitBreakerConfigError(
          'store.redis',
          'The `store: { redis }` option opens its connection in CircuitBreakerModule; a CircuitBreakerService made by hand needs `store: { store: new RedisCircuitStore({ redis }) }` with a client you close.',
        );
      }
      this.shared = owned.config;
    } else if (store && store !== 'memory') {
      this.shared = store;
    }
    this.metrics = new CircuitBreakerMetrics(() => this.list(), options.registry);
    for (const name of Object.keys(options.breakers ?? {})) this.breaker(name);
  }

  /** Runs `fn` through the named breaker (created on first use). */
  execute<T>(
    name: string,
    fn: (signal?: AbortSignal) => T | Promise<T>,
    options?: ExecuteOptions<T> & { breaker?: Partial<CircuitBreakerOptions> },
  ): Promise<T> {
    // Calls through one breaker tend to come in runs: comparing the name costs less than the Map.
    let breaker = this.last;
    if (breaker?.name !== name) {
      breaker = this.breakers.get(name) ?? this.breaker(name, options?.breaker);
      this.last = breaker;
    }
    return breaker.execute(fn, options);
  }

  /** A breaker's state and window totals. */
  get(name: string): CircuitSnapshot {
    return this.breaker(name).snapshot();
  }

  /** Every breaker's state. */
  list(): CircuitSnapshot[] {
    return [...this.breakers.values()].map((breaker) => breaker.snapshot());
  }

  /** Forces a breaker open. */
  forceOpen(name: string): Promise<void> {
    return this.breaker(name).forceOpen();
  }

  /** Forces a breaker closed. */
  forceClosed(name: string): Promise<void> {
    return this.breaker(name).forceClosed();
  }

  /** Resets a breaker to closed with an empty window. */
  reset(name: string): Promise<void> {
    return this.breaker(name).reset();
  }

  /** The breaker itself, created with its configured options on first use. */
  breaker(name: string, overrides?: Partial<CircuitBreakerOptions>): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (breaker) return breaker;
    const options = resolveOptions(name, this.options.defaults, this.options.breakers?.[name], overrides);
    breaker = new CircuitBreaker(name, options, {
      ...(this.shared ? { shared: this.shared } : {}),
      warn: (message) => this.logger.warn(message),
      onStateChange: (change) => {
        this.logger.log(`Circuit "${name}": ${change.from} → ${change.to}`);
        this.changes.next(change);
      },
    });
    this.breakers.set(name, breaker);
    return breaker;
  }

  async onApplicationShutdown(): Promise<void> {
    this.metrics.close();
    await Promise.all([...this.breakers.values()].map((breaker) => breaker.close()));
    // after the breakers: their pending outcomes go out on this connection
    await this.owned?.close();
    this.changes.complete();
  }
}
