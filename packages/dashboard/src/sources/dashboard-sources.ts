import { Injectable } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import type {
  BreakerServiceLike,
  EngineLike,
  EventStoreLike,
  InngestServiceLike,
  SagaRegistryLike,
  SagaStateStoreLike,
} from './source.types';

// Global symbols of the Sagaline packages: stable across copies, so no import is needed.
const SAGA_STATE_STORE = Symbol.for('sagaline:saga:state-store');
const EVENT_STORE = Symbol.for('sagaline:event-store');
const EMBEDDED_ENGINE = Symbol.for('sagaline:inngest:embedded-engine');

/** @internal What the app has, found once at start-up; each part is absent when the app lacks it. */
export interface FoundSources {
  sagas?: { registry: SagaRegistryLike; store: SagaStateStoreLike };
  breakers?: BreakerServiceLike;
  engine?: EngineLike;
  eventStore?: EventStoreLike;
  inngest?: InngestServiceLike;
}

/**
 * @internal Finds the Sagaline providers of the app: by their global symbols where they have one,
 * else by class name and shape among the providers, so the dashboard needs none of the packages.
 */
@Injectable()
export class DashboardSources {
  private found?: FoundSources;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
  ) {}

  get(): FoundSources {
    this.found ??= this.discover();
    return this.found;
  }

  private discover(): FoundSources {
    const registry = this.byClass<SagaRegistryLike>('SagaRegistry', ['list', 'get']);
    const store = this.byToken<SagaStateStoreLike>(SAGA_STATE_STORE, ['save', 'get']);
    return {
      ...(registry && store ? { sagas: { registry, store } } : {}),
      breakers: this.byClass<BreakerServiceLike>('CircuitBreakerService', ['list', 'forceOpen']),
      engine: this.byToken<EngineLike>(EMBEDDED_ENGINE, ['listRuns', 'getRun']),
      eventStore: this.byToken<EventStoreLike>(EVENT_STORE, ['readAll', 'readStream']),
      inngest: this.byClass<InngestServiceLike>('InngestService', ['send']),
    };
  }

  private byToken<T>(token: symbol, methods: string[]): T | undefined {
    try {
      return hasMethods<T>(this.moduleRef.get(token, { strict: false }), methods);
    } catch {
      return undefined; // the app does not have it
    }
  }

  private byClass<T>(name: string, methods: string[]): T | undefined {
    for (const wrapper of this.discovery.getProviders()) {
      if (wrapper.metatype?.name !== name && wrapper.name !== name) continue;
      const found = hasMethods<T>(wrapper.instance, methods);
      if (found) return found;
    }
    return undefined;
  }
}

function hasMethods<T>(value: unknown, methods: string[]): T | undefined {
  if (!value || typeof value !== 'object') return undefined;
  return methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
    ? (value as T)
    : undefined;
}
