export {
  CircuitBreakerConfigError,
  CircuitBreakerError,
  CircuitOpenError,
  CircuitTimeoutError,
} from './breaker.errors';
export type { CircuitBreakerOptions, CircuitState } from './breaker.options';
export {
  type CallOutcome,
  CircuitBreaker,
  type CircuitBreakerHooks,
  type CircuitSnapshot,
  type CircuitStateChange,
  type ExecuteOptions,
} from './circuit-breaker';
export { UseCircuitBreaker, type UseCircuitBreakerMetadata } from './circuit-breaker.decorator';
export { CircuitBreakerHealthIndicator, type CircuitBreakerHealthResult } from './circuit-breaker.health';
export { CircuitBreakerModule } from './circuit-breaker.module';
export {
  CIRCUIT_BREAKER_OPTIONS,
  type CircuitBreakerModuleOptions,
} from './circuit-breaker.module-definition';
export { CircuitBreakerService } from './circuit-breaker.service';
export { type SleepUntilStep, waitForCircuit } from './inngest-wait';
export type {
  SharedAdmission,
  SharedCircuitStore,
  SharedOutcome,
  SharedState,
  SharedStoreConfig,
  StoreWatch,
} from './stores/circuit-store';
export { RedisCircuitStore, type RedisCircuitStoreOptions } from './stores/redis-circuit-store';
export type { RedisConnectionStoreConfig } from './stores/redis-connection';
