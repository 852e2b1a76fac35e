import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { INNGEST_EMBEDDED_ENGINE, InngestService } from '@sagaline/nestjs-inngest';
import { EngineRunSagaStateStore, type SagaRunSource } from './engine-run-saga-state';
import { EventStoreSagaStateStore, type SagaEventStoreLike } from './event-store-saga-state';
import { SagaExplorer } from './saga.explorer';
import {
  ConfigurableSagaModule,
  SAGA_MODULE_OPTIONS,
  SAGA_STATE_STORE,
  type SagaModuleOptions,
} from './saga.module-definition';
import { SagaRegistry } from './saga.registry';
import { defaultSagaStateStore } from './saga.runner';
import { SagaService } from './saga.service';
import type { SagaStateStore } from './saga.state';

/** `@sagaline/event-store`'s `EVENT_STORE` token (a global symbol, so no import is needed). */
const EVENT_STORE = Symbol.for('sagaline:event-store');

/**
 * Discovers `@Saga` providers and runs each as an Inngest function (needs `InngestModule`).
 *
 * @example
 * ```ts
 * @Module({ imports: [InngestModule.forRoot({ appId: 'shop', isGlobal: true }), SagaModule.forRoot({})], providers: [OrderSaga] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    SagaRegistry,
    {
      provide: SAGA_STATE_STORE,
      inject: [
        SAGA_MODULE_OPTIONS,
        SagaRegistry,
        InngestService,
        { token: EVENT_STORE, optional: true },
        { token: INNGEST_EMBEDDED_ENGINE, optional: true },
      ],
      useFactory: (
        options: SagaModuleOptions,
        registry: SagaRegistry,
        inngest: InngestService,
        eventStore?: SagaEventStoreLike,
        engine?: SagaRunSource | null,
      ): SagaStateStore => {
        if (options.stateStore) return options.stateStore;
        if (eventStore) return new EventStoreSagaStateStore(eventStore);
        if (engine)
          return new EngineRunSagaStateStore(engine, inngest.client.id, registry, defaultSagaStateStore());
        return defaultSagaStateStore();
      },
    },
    SagaService,
    SagaExplorer,
  ],
  exports: [SagaService, SagaRegistry, SAGA_STATE_STORE],
})
export class SagaModule extends ConfigurableSagaModule {}
