import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CircuitBreakerExplorer } from './circuit-breaker.explorer';
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health';
import { ConfigurableCircuitBreakerModule } from './circuit-breaker.module-definition';
import { CircuitBreakerService } from './circuit-breaker.service';

/**
 * Circuit breakers for a Nest app: `CircuitBreakerService`, `@UseCircuitBreaker`, Prometheus
 * metrics and a terminus health indicator.
 *
 * @example
 * ```ts
 * CircuitBreakerModule.forRoot({
 *   store: { store: new RedisCircuitStore({ redis }), mode: 'hybrid' },
 *   defaults: { failureRateThreshold: 50, waitDurationInOpenState: 30_000 },
 *   breakers: { 'payment-gateway': { timeoutMs: 2_000 } },
 * })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [CircuitBreakerService, CircuitBreakerExplorer, CircuitBreakerHealthIndicator],
  exports: [CircuitBreakerService, CircuitBreakerHealthIndicator],
})
export class CircuitBreakerModule extends ConfigurableCircuitBreakerModule {}
