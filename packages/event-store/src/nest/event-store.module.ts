import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EventStore } from '../event-store';
import { createStoreFromOptions, type EventStoreHandle } from './event-store.factory';
import {
  ConfigurableEventStoreModule,
  EVENT_STORE,
  EVENT_STORE_OPTIONS,
  type EventStoreModuleOptions,
} from './event-store.module-definition';

const EVENT_STORE_HANDLE = Symbol.for('sagaline:event-store:handle');

/** Starts the async projections once the app is up; closes a store the module created. */
@Injectable()
class EventStoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE_HANDLE) private readonly handle: EventStoreHandle) {}

  onApplicationBootstrap(): void {
    this.handle.store.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.handle.owned) await this.handle.store.close();
  }
}

/**
 * Provides an `EventStore` (inject it by that class) on the adapter of your choice.
 *
 * @example
 * ```ts
 * EventStoreModule.forRoot({ adapter: { kind: 'pglite', dataDir: './.data/events' }, isGlobal: true })
 * EventStoreModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ adapter: { kind: 'postgres', connectionString: config.get('DATABASE_URL') } }),
 * })
 * ```
 */
@Module({
  providers: [
    {
      provide: EVENT_STORE_HANDLE,
      inject: [EVENT_STORE_OPTIONS],
      useFactory: (options: EventStoreModuleOptions) => createStoreFromOptions(options),
    },
    {
      provide: EventStore,
      inject: [EVENT_STORE_HANDLE],
      useFactory: (handle: EventStoreHandle) => handle.store,
    },
    { provide: EVENT_STORE, useExisting: EventStore },
    EventStoreLifecycle,
  ],
  exports: [EventStore, EVENT_STORE],
})
export class EventStoreModule extends ConfigurableEventStoreModule {}
