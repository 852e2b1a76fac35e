import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CircuitBreakerExplorer } from './circuit-breaker.explorer';
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health';
import {
  CIRCUIT_BREAKER_OPTIONS,
  CIRCUIT_BREAKER_OWNED_STORE,
  type CircuitBreakerModuleOptions,
  ConfigurableCircuitBreakerModule,
} from './circuit-breaker.module-definition';
import { CircuitBreakerService } from './circuit-breaker.service';
import { isRedisConnectionConfig, openRedisStore } from './stores/redis-connection';

/**
 * Circuit breakers for a Nest app: `CircuitBreakerService`, `@UseCircuitBreaker`, Prometheus
 * metrics and a terminus health indicator.
 *
 * @example
 * ```ts
 * CircuitBreakerModule.forRoot({
 *   store: { redis: { url: process.env.REDIS_URL }, mode: 'hybrid' }, // opened and closed by the module
 *   defaults: { failureRateThreshold: 50, waitDurationInOpenState: 30_000 },
 *   breakers: { 'payment-gateway': { timeoutMs: 2_000 } },
 * })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    CircuitBreakerService,
    CircuitBreakerExplorer,
    CircuitBreakerHealthIndicator,
    {
      provide: CIRCUIT_BREAKER_OWNED_STORE,
      inject: [CIRCUIT_BREAKER_OPTIONS],
      useFactory: (options: CircuitBreakerModuleOptions) =>
        isRedisConnectionConfig(options.store) ? openRedisStore(options.store) : null,
    },
  ],
  exports: [CircuitBreakerService, CircuitBreakerHealthIndicator],
})
export class CircuitBreakerModule extends ConfigurableCircuitBreakerModule {}
