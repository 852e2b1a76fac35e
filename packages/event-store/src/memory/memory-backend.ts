import { encodeCheckpoint } from '../checkpoint';
import type { RecordedEvent } from '../event.types';
import { ALL_TENANTS } from '../event.types';
import type { ProjectionDocuments } from '../projections';
import type { ClaimedBatch, RawAppendOutcome, StorageBackend, StorageTransaction } from '../storage';
import {
  type CheckedReadAll,
  type CheckedReadStream,
  expectationHolds,
  type PreparedEvent,
} from '../validation';

interface StoredEvent {
  /** The event, its payload and metadata kept as JSON so that readers get their own copies. */
  event: Omit<RecordedEvent, 'data' | 'metadata'> & { data: string; metadata: string };
  /** Set when its transaction commits; invisible to readers until then. */
  commit: number;
}

const materialise = ({ event }: StoredEvent): RecordedEvent => ({
  ...event,
  data: JSON.parse(event.data),
  metadata: JSON.parse(event.metadata),
  timestamp: new Date(event.timestamp),
});

interface Stream {
  events: StoredEvent[];
}

/**
 * @internal Everything in Maps. Every write runs in a transaction that holds one lock (a promise
 * chain), records how to undo itself, and publishes its events at commit, so the semantics match
 * the SQL adapters: atomic appends, commit-ordered global reads, rolled-back work never seen.
 */
export class MemoryBackend implements StorageBackend {
  readonly kind = 'memory' as const;
  private readonly streams = new Map<string, Stream>();
  private readonly eventIds = new Map<string, StoredEvent>();
  /** Committed events in commit order: the global order. */
  private readonly log: StoredEvent[] = [];
  private readonly documents = new Map<string, Map<string, string>>();
  private readonly checkpoints = new Map<string, string>();
  private readonly claimed = new Set<string>();
  private lock: Promise<unknown> = Promise.resolve();
  private nextPosition = 1;
  private commits = 0;

  transaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    const run = this.lock.then(() => this.runTransaction(work));
    this.lock = run.catch(() => undefined);
    return run;
  }

  append(
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): Promise<RawAppendOutcome> {
    return this.transaction((tx) => tx.append(tenantId, streamId, expected, events));
  }

  async readStream(
    streamId: string,
    options: CheckedReadStream,
  ): Promise<{ events: RecordedEvent[]; version: number }> {
    const stream = this.streams.get(`${options.tenantId}/${streamId}`);
    const committed = stream ? stream.events.filter((s) => s.commit > 0) : [];
    const version = committed.length;
    const from = options.from ?? (options.backward ? version : 1);
    const inRange = (v: number) =>
      options.backward
        ? v <= from && (options.to === null || v >= options.to)
        : v >= from && (options.to === null || v <= options.to);
    let selected = committed.filter((s) => inRange(s.event.streamVersion));
    if (options.backward) selected.reverse();
    if (options.maxCount !== null) selected = selected.slice(0, options.maxCount);
    return { events: selected.map(materialise), version };
  }

  async readAll(options: CheckedReadAll): Promise<RecordedEvent[]> {
    const after = options.after ? encodeCheckpoint(options.after.transaction, options.after.position) : null;
    let low = 0;
    if (after) {
      let high = this.log.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (this.log[mid]!.event.checkpoint <= after) low = mid + 1;
        else high = mid;
      }
    }
    const events: RecordedEvent[] = [];
    for (let i = low; i < this.log.length && events.length < options.maxCount; i++) {
      const stored = this.log[i]!;
      if (options.tenantId !== ALL_TENANTS && stored.event.tenantId !== options.tenantId) continue;
      if (options.types && !options.types.includes(stored.event.type)) continue;
      events.push(materialise(stored));
    }
    return events;
  }

  async consume(
    name: string,
    filter: Omit<CheckedReadAll, 'after'>,
    handle: (batch: ClaimedBatch) => Promise<void>,
  ): Promise<{ count: number; checkpoint: string } | null> {
    if (this.claimed.has(name)) return null;
    this.claimed.add(name);
    try {
      return await this.transaction(async (tx) => {
        const stored = this.checkpoints.get(name);
        const [transaction, position] = stored ? stored.split(':') : [];
        const events = await this.readAll({
          ...filter,
          after: stored ? { transaction: transaction!, position: position! } : null,
        });
        if (events.length === 0) return { count: 0, checkpoint: stored ?? '' };
        await handle({ events, transaction: tx });
        const checkpoint = events.at(-1)!.checkpoint;
        const previous = this.checkpoints.get(name);
        this.checkpoints.set(name, checkpoint);
        (tx as MemoryTransaction).undo.push(() =>
          previous === undefined ? this.checkpoints.delete(name) : this.checkpoints.set(name, previous),
        );
        return { count: events.length, checkpoint };
      });
    } finally {
      this.claimed.delete(name);
    }
  }

  async getDocument(projection: string, tenantId: string, id: string): Promise<unknown | null> {
    const json = this.documents.get(`${projection}/${tenantId}`)?.get(id);
    return json === undefined ? null : JSON.parse(json);
  }

  async listDocuments(projection: string, tenantId: string, limit: number, after: string | null) {
    const docs = this.documents.get(`${projection}/${tenantId}`);
    if (!docs) return [];
    return [...docs.keys()]
      .filter((id) => after === null || id > after)
      .sort()
      .slice(0, limit)
      .map((id) => ({ id, doc: JSON.parse(docs.get(id)!) }));
  }

  async close(): Promise<void> {}

  private async runTransaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    const tx = new MemoryTransaction(this);
    try {
      const result = await work(tx);
      this.commit(tx.pending);
      return result;
    } catch (error) {
      for (const undo of tx.undo.reverse()) undo();
      throw error;
    }
  }

  private commit(pending: StoredEvent[]): void {
    if (pending.length === 0) return;
    const commit = ++this.commits;
    for (const stored of pending) {
      stored.commit = commit;
      this.log.push(stored);
    }
  }

  /** @internal */
  appendInTransaction(
    tx: MemoryTransaction,
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): RawAppendOutcome {
    const found = events.map((e) => this.eventIds.get(`${tenantId}/${e.id}`));
    const duplicates = found.filter((s): s is StoredEvent => s !== undefined);
    if (duplicates.length > 0) {
      const sameStream = duplicates.every((s) => s.event.streamId === streamId);
      if (duplicates.length === events.length && sameStream)
        return {
          status: 'replay',
          nextVersion: Math.max(...duplicates.map((s) => s.event.streamVersion)),
          events: duplicates.map(materialise),
        };
      return { status: 'duplicate', eventIds: duplicates.map((s) => s.event.id) };
    }
    const key = `${tenantId}/${streamId}`;
    let stream = this.streams.get(key);
    const version = stream?.events.length ?? 0;
    if (!expectationHolds(expected, version)) return { status: 'wrong_version', actual: version };
    if (!stream) {
      const created: Stream = { events: [] };
      stream = created;
      this.streams.set(key, created);
      tx.undo.push(() => this.streams.delete(key));
    }
    const target = stream;
    const timestamp = new Date();
    // Transactions run one at a time, so this one's commit number is already known.
    const commit = this.commits + 1;
    const recorded = events.map((e, index) => {
      const stored: StoredEvent = {
        commit: 0,
        event: {
          id: e.id,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          schemaVersion: e.schemaVersion,
          tenantId,
          streamId,
          streamVersion: version + index + 1,
          globalPosition: this.nextPosition,
          checkpoint: encodeCheckpoint(commit, this.nextPosition++),
          timestamp,
        },
      };
      target.events.push(stored);
      this.eventIds.set(`${tenantId}/${e.id}`, stored);
      tx.pending.push(stored);
      return stored;
    });
    tx.undo.push(() => {
      target.events.length = version;
      for (const e of events) this.eventIds.delete(`${tenantId}/${e.id}`);
      tx.pending.length = 0;
    });
    return { status: 'ok', nextVersion: version + events.length, events: recorded.map(materialise) };
  }

  /** @internal */
  documentsOf(tx: MemoryTransaction, projection: string, tenantId: string): ProjectionDocuments<unknown> {
    const key = `${projection}/${tenantId}`;
    const collection = () => {
      let docs = this.documents.get(key);
      if (!docs) {
        docs = new Map();
        this.documents.set(key, docs);
      }
      return docs;
    };
    const remember = (id: string) => {
      const docs = collection();
      const previous = docs.get(id);
      tx.undo.push(() => (previous === undefined ? docs.delete(id) : docs.set(id, previous)));
    };
    return {
      get: async (id) => {
        const json = this.documents.get(key)?.get(id);
        return json === undefined ? null : JSON.parse(json);
      },
      put: async (id, doc) => {
        remember(id);
        collection().set(id, JSON.stringify(doc));
      },
      delete: async (id) => {
        remember(id);
        collection().delete(id);
      },
    };
  }

  /** @internal */
  clear(tx: MemoryTransaction, projection: string): void {
    for (const [key, docs] of this.documents) {
      if (!key.startsWith(`${projection}/`)) continue;
      this.documents.delete(key);
      tx.undo.push(() => this.documents.set(key, docs));
    }
  }

  /** @internal */
  reset(tx: MemoryTransaction, name: string): void {
    const previous = this.checkpoints.get(name);
    this.checkpoints.delete(name);
    if (previous !== undefined) tx.undo.push(() => this.checkpoints.set(name, previous));
  }
}

/** @internal */
class MemoryTransaction implements StorageTransaction {
  readonly undo: Array<() => void> = [];
  readonly pending: StoredEvent[] = [];

  constructor(private readonly backend: MemoryBackend) {}

  async append(
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): Promise<RawAppendOutcome> {
    return this.backend.appendInTransaction(this, tenantId, streamId, expected, events);
  }

  documents(projection: string, tenantId: string): ProjectionDocuments<unknown> {
    return this.backend.documentsOf(this, projection, tenantId);
  }

  async clearProjection(projection: string): Promise<void> {
    this.backend.clear(this, projection);
  }

  async resetSubscription(name: string): Promise<void> {
    this.backend.reset(this, name);
  }
}
