export {
  EngineRunSagaStateStore,
  type SagaRunRecord,
  type SagaRunSource,
  type SagaRunStep,
} from './engine-run-saga-state';
export {
  EventStoreSagaStateStore,
  type EventStoreSagaStateStoreOptions,
  SAGA_STATE_EVENT,
  type SagaEventStoreLike,
} from './event-store-saga-state';
export {
  Compensate,
  Saga,
  type SagaOptions,
  SagaStep,
  type SagaStepContext,
  type SagaStepOptions,
} from './saga.decorators';
export {
  SagaConfigError,
  SagaDefinitionError,
  SagaError,
  SagaStepFailedError,
  SagaStepTimeoutError,
} from './saga.errors';
export { SagaModule } from './saga.module';
export { SAGA_MODULE_OPTIONS, SAGA_STATE_STORE, type SagaModuleOptions } from './saga.module-definition';
export { type RegisteredSaga, SagaRegistry } from './saga.registry';
export { runSaga, type SagaRunInput, type SagaRunOptions } from './saga.runner';
export { SagaService } from './saga.service';
export {
  MemorySagaStateStore,
  type MemorySagaStateStoreOptions,
  type SagaState,
  type SagaStateSaveOptions,
  type SagaStateStore,
  type SagaWait,
} from './saga.state';
export {
  type CompensationPolicy,
  type RetryPolicy,
  SAGA_UNKNOWN_OUTPUT,
  type SagaContext,
  type SagaDefinition,
  type SagaEventPayload,
  type SagaFailure,
  type SagaLifecycleEvents,
  type SagaOutcome,
  type SagaStatus,
  type SagaStepAction,
  type SagaStepDefinition,
  type SagaStepTools,
  type StepOutput,
} from './saga.types';
