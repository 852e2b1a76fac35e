export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock';
export { EmbeddedEngine, type EngineEventInput, type WaitForRunFilter } from './engine';
export {
  AppSyncError,
  EmbeddedEngineError,
  EngineConfigurationError,
  EngineLeaseError,
  EngineStoppedError,
  EngineStoreConnectionError,
  EventRejectedError,
  UnsupportedFeatureError,
  WaitForRunTimeoutError,
} from './engine.errors';
export { DEFAULT_REDACTED_FIELDS, type EmbeddedEngineOptions, type EngineLogger } from './engine.options';
export type {
  ConcurrencyLimit,
  EngineEvent,
  PendingWork,
  RegisteredFunction,
  RegisteredTrigger,
  RunFlowKeys,
  RunRecord,
  RunStatus,
  SerializedError,
  StepTimelineEntry,
} from './engine.types';
export { REDACTED, type RedactOption, redactRun } from './security/redaction';
export { MemoryRunStore, type MemoryRunStoreOptions } from './store/memory-run-store';
export { PgliteRunStore, type PgliteRunStoreOptions } from './store/pglite-run-store';
export { PostgresRunStore, type PostgresRunStoreOptions } from './store/postgres-run-store';
export type {
  LeaseOptions,
  RegisteredApp,
  RunChange,
  RunFilter,
  RunHead,
  RunStore,
  StoreBatch,
  StoredStep,
} from './store/run-store';
