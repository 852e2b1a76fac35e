import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
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
      inject: [SAGA_MODULE_OPTIONS],
      useFactory: (options: SagaModuleOptions) => options.stateStore ?? defaultSagaStateStore(),
    },
    SagaRegistry,
    SagaService,
    SagaExplorer,
  ],
  exports: [SagaService, SagaRegistry, SAGA_STATE_STORE],
})
export class SagaModule extends ConfigurableSagaModule {}
