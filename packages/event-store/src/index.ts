export { START_CHECKPOINT } from './checkpoint';
export {
  type AggregateStreamOptions,
  type AggregateStreamResult,
  ALL_TENANTS,
  type AppendedStream,
  type AppendOptions,
  type AppendResult,
  DEFAULT_TENANT,
  type EventMetadata,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type ReadStreamResult,
  type RecordedEvent,
} from './event.types';
export { EventStore, type EventStoreOptions, type EventStoreTransaction } from './event-store';
export {
  DuplicateEventIdError,
  EventStoreConfigError,
  EventStoreConnectionError,
  EventStoreError,
  EventStoreValidationError,
  SubscriptionHandlerError,
  TransactionAbortedError,
  UpcastError,
  WrongExpectedVersionError,
} from './event-store.errors';
export {
  type AuditedInngestEvent,
  type EventStoreAuditOptions,
  eventStoreAudit,
  RUN_STARTED_EVENT,
} from './inngest/event-store-audit.middleware';
export { createMemoryEventStore } from './memory/memory-adapter';
export { EventStoreModule } from './nest/event-store.module';
export {
  EVENT_STORE,
  EVENT_STORE_OPTIONS,
  type EventStoreAdapterConfig,
  type EventStoreModuleOptions,
} from './nest/event-store.module-definition';
export type { ProjectionDefinition, ProjectionDocuments, ProjectionReader } from './projections';
export { createPGliteEventStore, type PGliteEventStoreOptions } from './sql/pglite-adapter';
export { createPostgresEventStore, type PostgresEventStoreOptions } from './sql/postgres-adapter';
export type { Subscription, SubscriptionContext, SubscriptionOptions } from './subscription';
export type { Upcaster } from './upcasting';
