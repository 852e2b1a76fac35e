import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EventStore, EventStoreOptions } from '../event-store';
import type { PGliteEventStoreOptions } from '../sql/pglite-adapter';
import type { PostgresEventStoreOptions } from '../sql/postgres-adapter';

/** Which adapter `EventStoreModule` creates, with its settings. */
export type EventStoreAdapterConfig =
  | { kind: 'memory' }
  | ({ kind: 'postgres' } & Omit<PostgresEventStoreOptions, keyof EventStoreOptions>)
  | ({ kind: 'pglite' } & Omit<PGliteEventStoreOptions, keyof EventStoreOptions>);

/** Options of `EventStoreModule.forRoot()`. */
export interface EventStoreModuleOptions extends EventStoreOptions {
  /**
   * The adapter to create (the module closes it at shutdown), or a store the app created itself
   * (then pass `upcasters` and `projections` to its create function, not here).
   */
  adapter: EventStoreAdapterConfig | EventStore;
}

/**
 * The `EventStore` under a symbol as well as its class, so that packages which may run without
 * the event store (such as `@sagaline/saga`) can inject it optionally without importing it.
 */
export const EVENT_STORE: unique symbol = Symbol.for('sagaline:event-store');

/** Injection token of the module options. */
export const EVENT_STORE_OPTIONS: unique symbol = Symbol.for('sagaline:event-store:options');

export const { ConfigurableModuleClass: ConfigurableEventStoreModule } =
  new ConfigurableModuleBuilder<EventStoreModuleOptions>({
    moduleName: 'EventStore',
    optionsInjectionToken: EVENT_STORE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
