import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { CircuitBreakerConfigError } from './breaker.errors';
import { CircuitBreakerMetadata } from './circuit-breaker.decorator';
import { CircuitBreakerService } from './circuit-breaker.service';

type Methods = Record<string, (...args: unknown[]) => unknown>;

/** @internal Wraps every `@UseCircuitBreaker` method so that its calls go through the breaker. */
@Injectable()
export class CircuitBreakerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly breakers: CircuitBreakerService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Methods | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const metadata = this.reflector.get(CircuitBreakerMetadata, prototype[method]);
        if (!metadata) continue;
        const original = prototype[method] as (...args: unknown[]) => unknown;
        const fallback = metadata.fallback;
        if (fallback && typeof instance[fallback] !== 'function') {
          throw new CircuitBreakerConfigError(
            'fallback',
            `@UseCircuitBreaker on ${instance.constructor.name}.${method} names fallback "${fallback}", which is not a method of ${instance.constructor.name}.`,
          );
        }
        const breaker = this.breakers.breaker(metadata.name, metadata.options);
        instance[method] = (...args: unknown[]) =>
          breaker.execute(
            () => original.apply(instance, args),
            fallback
              ? { fallback: (error) => instance[fallback]!.call(instance, error, ...args) }
              : undefined,
          );
      }
    }
  }
}
