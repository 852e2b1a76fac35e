import { Reflector } from '@nestjs/core';
import type { CircuitBreakerOptions } from './breaker.options';

/** What `@UseCircuitBreaker` stores. */
export interface UseCircuitBreakerMetadata {
  /** The breaker's name. */
  name: string;
  /** Options for this breaker, over the module's defaults. */
  options?: Partial<CircuitBreakerOptions>;
  /** Name of a method of the same provider that answers when the breaker rejects or the call fails. */
  fallback?: string;
}

/** @internal */
export const CircuitBreakerMetadata = Reflector.createDecorator<UseCircuitBreakerMetadata>();

/**
 * Runs every call of a provider method through a named breaker.
 *
 * @example
 * ```ts
 * @UseCircuitBreaker('payment-gateway', { timeoutMs: 2000, isFailure: (e) => !(e instanceof CardDeclined) })
 * charge(card: Card) { return this.http.post('/charges', card); }
 * ```
 */
export function UseCircuitBreaker(
  name: string,
  options?: Partial<CircuitBreakerOptions>,
  extra: { fallback?: string } = {},
): MethodDecorator {
  return CircuitBreakerMetadata({ name, ...(options ? { options } : {}), ...extra });
}
