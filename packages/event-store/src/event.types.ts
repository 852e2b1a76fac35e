/** The tenant of events appended and read without one. */
export const DEFAULT_TENANT = 'default';

/** In `readAll` and subscriptions: the events of every tenant (for system consumers only). */
export const ALL_TENANTS = '*';

/** Metadata stored with every event. Free-form keys are kept as given. */
export interface EventMetadata {
  /** The id shared by every event of one business flow. */
  correlationId?: string;
  /** The id of the event or command that caused this one. */
  causationId?: string;
  /** The Inngest run that appended or was triggered by the event, when known. */
  inngestRunId?: string;
  /** The Inngest event id, when the event is (or came from) an Inngest event. */
  inngestEventId?: string;
  [key: string]: unknown;
}

/** An event to append. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  /** The event type, such as `order.created`. */
  type: Type;
  /** The payload; anything JSON can represent. */
  data: Data;
  /**
   * A unique id. An append whose ids are all stored already is a replay and writes nothing,
   * so give events deterministic ids where a step may be retried. Default: a new UUIDv7.
   */
  id?: string;
  /** Correlation, causation and free-form metadata. */
  metadata?: EventMetadata;
  /** The payload's schema version, for upcasting. Default: the latest version the store knows for the type, else 1. */
  schemaVersion?: number;
}

/** An event as stored. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  /** The event's id. */
  id: string;
  /** The event type. */
  type: Type;
  /** The payload, upcast to the latest schema version. */
  data: Data;
  /** Metadata, with the tenant's and Inngest's ids where known. */
  metadata: EventMetadata;
  /** The payload's schema version (after upcasting). */
  schemaVersion: number;
  /** The tenant the event belongs to. */
  tenantId: string;
  /** The stream the event belongs to. */
  streamId: string;
  /** The event's version in its stream: 1 for the first event. */
  streamVersion: number;
  /** The event's position in the store's global sequence (unique, not gap-free). */
  globalPosition: number;
  /** Where a reader of the global order resumes after this event (pass it as `after`). */
  checkpoint: string;
  /** When the event was stored (the database's clock for the SQL adapters). */
  timestamp: Date;
}

/**
 * What an append expects of the stream: its exact version (the number of events in it, 0 for a
 * stream that does not exist yet), `no_stream`, `stream_exists`, or `any` (no check).
 */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

/** Options of `appendToStream`. */
export interface AppendOptions {
  /** Optimistic concurrency check. Default `any`. */
  expectedVersion?: ExpectedVersion;
  /** The tenant. Default `DEFAULT_TENANT`. */
  tenantId?: string;
}

/** A stream this process appended to, as `EventStore.onAppended` reports it. */
export interface AppendedStream {
  tenantId: string;
  streamId: string;
}

/** What an append did. */
export interface AppendResult {
  /** The stream's version after the append: pass it as `expectedVersion` to the next one. */
  nextExpectedVersion: number;
  /** The stored events (for a replay: the events as first stored). */
  events: RecordedEvent[];
  /** True when every event was stored by an earlier append: nothing was written this time. */
  idempotent: boolean;
}

/** Options of `readStream`. */
export interface ReadStreamOptions {
  /** The tenant. Default `DEFAULT_TENANT`. */
  tenantId?: string;
  /** `forward` (default) from the oldest event, `backward` from the newest. */
  direction?: 'forward' | 'backward';
  /** The first version to read (inclusive). Default: the first event forward, the last backward. */
  from?: number;
  /** The last version to read (inclusive). Default: the end in the reading direction. */
  to?: number;
  /** At most this many events. */
  maxCount?: number;
}

/** The result of `readStream`. */
export interface ReadStreamResult<E extends RecordedEvent = RecordedEvent> {
  /** The events read, in the requested direction. */
  events: E[];
  /** The stream's current version (0 when it does not exist). */
  version: number;
  /** Whether the stream exists. */
  exists: boolean;
}

/** Options of `readAll`. */
export interface ReadAllOptions {
  /** Resume after this checkpoint (from an event or an earlier `readAll`). Default: the start. */
  after?: string;
  /** At most this many events. Default 1000. */
  maxCount?: number;
  /** Only these event types. */
  types?: string[];
  /** The tenant, or `ALL_TENANTS`. Default `DEFAULT_TENANT`. */
  tenantId?: string;
}

/** The result of `readAll`. */
export interface ReadAllResult {
  /** Events in global order: commit order, never skipping one committed late. */
  events: RecordedEvent[];
  /** Pass as `after` to read on; unchanged when nothing was read. */
  checkpoint: string;
}

/** Options of `aggregateStream`. */
export interface AggregateStreamOptions<State, E extends RecordedEvent = RecordedEvent> {
  /** Folds one event into the state. */
  evolve: (state: State, event: E) => State;
  /** The state before the first event. */
  initialState: () => State;
  /** The tenant. Default `DEFAULT_TENANT`. */
  tenantId?: string;
}

/** The result of `aggregateStream`. */
export interface AggregateStreamResult<State> {
  /** The folded state. */
  state: State;
  /** The stream's version: the `expectedVersion` of the next append. */
  version: number;
  /** Whether the stream exists. */
  exists: boolean;
}
