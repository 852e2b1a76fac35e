export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock';
export { EmbeddedEngine, type EngineEventInput, type WaitForRunFilter } from './engine';
export {
  AppSyncError,
  EmbeddedEngineError,
  EngineConfigurationError,
  UnsupportedFeatureError,
  WaitForRunTimeoutError,
} from './engine.errors';
export type { EmbeddedEngineOptions, EngineLogger } from './engine.options';
export type {
  ConcurrencyLimit,
  EngineEvent,
  PendingWork,
  RegisteredFunction,
  RegisteredTrigger,
  RunRecord,
  RunStatus,
  SerializedError,
  StepTimelineEntry,
} from './engine.types';
export { MemoryRunStore } from './store/memory-run-store';
export { PgliteRunStore, type PgliteRunStoreOptions } from './store/pglite-run-store';
export { PostgresRunStore, type PostgresRunStoreOptions } from './store/postgres-run-store';
export type { RegisteredApp, RunFilter, RunStore } from './store/run-store';
