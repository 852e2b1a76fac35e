import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SagaStateStore } from './saga.state';
import type { SagaLifecycleEvents } from './saga.types';

/** Options of `SagaModule.forRoot()`. */
export interface SagaModuleOptions {
  /**
   * Where saga states are kept (queries, cancellation). Default: the event store when
   * `EventStoreModule` (`@sagaline/event-store`) is in the app; else, in embedded mode, memory
   * backed by the engine's run data (`EngineRunSagaStateStore`); else memory.
   */
  stateStore?: SagaStateStore;
  /**
   * Which `saga/*` lifecycle events every `@Saga` sends unless it says otherwise. Default
   * `'failures'`. (`runSaga` takes its definition's `lifecycleEvents`.)
   */
  lifecycleEvents?: SagaLifecycleEvents;
}

/** Injection token of the saga state store. */
export const SAGA_STATE_STORE: unique symbol = Symbol.for('sagaline:saga:state-store');

export const { ConfigurableModuleClass: ConfigurableSagaModule, MODULE_OPTIONS_TOKEN: SAGA_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<SagaModuleOptions>({ moduleName: 'Saga' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
