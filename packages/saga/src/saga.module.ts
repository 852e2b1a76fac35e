import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
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
    {
      provide: SAGA_STATE_STORE,
      inject: [SAGA_MODULE_OPTIONS, { token: EVENT_STORE, optional: true }],
      useFactory: (options: SagaModuleOptions, eventStore?: SagaEventStoreLike) =>
        options.stateStore ??
        (eventStore ? new EventStoreSagaStateStore(eventStore) : defaultSagaStateStore()),
    },
    SagaRegistry,
    SagaService,
    SagaExplorer,
  ],
  exports: [SagaService, SagaRegistry, SAGA_STATE_STORE],
})
export class SagaModule extends ConfigurableSagaModule {}
