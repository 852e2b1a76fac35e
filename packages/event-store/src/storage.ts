import type { RecordedEvent } from './event.types';
import type { ProjectionDocuments } from './projections';
import type { CheckedReadAll, CheckedReadStream, PreparedEvent } from './validation';

/** @internal What an adapter's append reports; the store turns it into a result or an error. */
export type RawAppendOutcome =
  | { status: 'ok'; nextVersion: number; events: RecordedEvent[] }
  | { status: 'replay'; nextVersion: number; events: RecordedEvent[] }
  | { status: 'duplicate'; eventIds: string[] }
  | { status: 'wrong_version'; actual: number };

/** @internal One unit of work: everything in it commits together or not at all. */
export interface StorageTransaction {
  append(
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): Promise<RawAppendOutcome>;
  documents(projection: string, tenantId: string): ProjectionDocuments<unknown>;
  clearProjection(projection: string): Promise<void>;
  resetSubscription(name: string): Promise<void>;
}

/** @internal The batch a subscription claimed, and how to commit it. */
export interface ClaimedBatch {
  events: RecordedEvent[];
  transaction: StorageTransaction;
}

/**
 * @internal What every adapter provides. Events come back as stored (before upcasting); the store
 * core adds validation, upcasting, projections and subscriptions on top, identically for all.
 */
export interface StorageBackend {
  readonly kind: 'memory' | 'postgres' | 'pglite';
  /** Runs `work` in one transaction, retrying it on serialisation failures. */
  transaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T>;
  /** An append on its own: one round trip where the adapter can. */
  append(
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): Promise<RawAppendOutcome>;
  readStream(
    streamId: string,
    options: CheckedReadStream,
  ): Promise<{ events: RecordedEvent[]; version: number }>;
  readAll(options: CheckedReadAll): Promise<RecordedEvent[]>;
  /**
   * Claims subscription `name` (one consumer at a time across processes), reads the next batch
   * after its checkpoint, and runs `handle` in the same transaction as the checkpoint's update.
   * Returns null, or a count of 0, when another consumer holds the claim: either way the caller
   * has nothing to handle.
   */
  consume(
    name: string,
    filter: Omit<CheckedReadAll, 'after'>,
    handle: (batch: ClaimedBatch) => Promise<void>,
  ): Promise<{ count: number; checkpoint: string } | null>;
  getDocument(projection: string, tenantId: string, id: string): Promise<unknown | null>;
  listDocuments(
    projection: string,
    tenantId: string,
    limit: number,
    after: string | null,
  ): Promise<Array<{ id: string; doc: unknown }>>;
  close(): Promise<void>;
}
