import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { CircuitBreakerOptions } from './breaker.options';
import type { SharedStoreConfig } from './stores/circuit-store';
import type { RedisConnectionStoreConfig } from './stores/redis-connection';

/** Options of `CircuitBreakerModule.forRoot()`. */
export interface CircuitBreakerModuleOptions {
  /**
   * Where state lives: in each process (default), or shared through Redis. With `{ redis: { url } }`
   * the module opens the connection and closes it when the app shuts down; with
   * `{ store: new RedisCircuitStore({ redis }) }` the client is the app's, and so is closing it.
   */
  store?: 'memory' | SharedStoreConfig | RedisConnectionStoreConfig;
  /** Options every breaker starts from. */
  defaults?: Partial<CircuitBreakerOptions>;
  /** Options per breaker name. Breakers not listed use `defaults`. */
  breakers?: Record<string, Partial<CircuitBreakerOptions>>;
  /** The Prometheus registry for the breaker metrics. Default: prom-client's global registry. */
  registry?: Registry;
}

/** Injection token of the module options. */
export const CIRCUIT_BREAKER_OPTIONS: unique symbol = Symbol.for('sagaline:circuit-breaker:options');

/** @internal Injection token of the Redis store the module opened (`store: { redis }`), else null. */
export const CIRCUIT_BREAKER_OWNED_STORE: unique symbol = Symbol.for('sagaline:circuit-breaker:owned-store');

export const { ConfigurableModuleClass: ConfigurableCircuitBreakerModule, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<CircuitBreakerModuleOptions>({
    moduleName: 'CircuitBreaker',
    optionsInjectionToken: CIRCUIT_BREAKER_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
