import { Logger } from '@nestjs/common';
import { START_CHECKPOINT } from './checkpoint';
import {
  type AggregateStreamOptions,
  type AggregateStreamResult,
  ALL_TENANTS,
  type AppendedStream,
  type AppendOptions,
  type AppendResult,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type ReadStreamResult,
  type RecordedEvent,
} from './event.types';
import {
  DuplicateEventIdError,
  EventStoreConfigError,
  WrongExpectedVersionError,
} from './event-store.errors';
import type { ProjectionDefinition, ProjectionDocuments, ProjectionReader } from './projections';
import type { RawAppendOutcome, StorageBackend, StorageTransaction } from './storage';
import { CatchUpSubscription, type Subscription, type SubscriptionOptions } from './subscription';
import { type Upcaster, UpcasterChain } from './upcasting';
import {
  checkAppendOptions,
  checkReadAllOptions,
  checkReadStreamOptions,
  checkStreamId,
  checkTenant,
  decodeExpected,
  prepareEvents,
} from './validation';

/** Options every adapter takes. */
export interface EventStoreOptions {
  /** Upcasters applied on read, by event type and stored schema version. */
  upcasters?: Upcaster[];
  /** Projections: inline ones run in every append's transaction, async ones once `start()` is called. */
  projections?: ProjectionDefinition<any>[];
}

/** Appends that commit together: the argument of `EventStore.transaction`. */
export interface EventStoreTransaction {
  /** As `EventStore.appendToStream`, inside the transaction. */
  appendToStream(
    streamId: string,
    events: NewEvent | NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
}

const PROJECTION_SUBSCRIPTION_PREFIX = 'projection:';

/**
 * The event store: one API over every adapter (memory, PostgreSQL, PGlite), with the same
 * behaviour from each, proven by one shared test suite. Create one with `createMemoryEventStore`,
 * `createPostgresEventStore` or `createPGliteEventStore`, or let `EventStoreModule` do it; in Nest,
 * inject it by this class.
 *
 * @example
 * ```ts
 * const store = await createPGliteEventStore();
 * const { nextExpectedVersion } = await store.appendToStream('order-42', [{ type: 'order.created', data: { total: 1999 } }], { expectedVersion: 'no_stream' });
 * const { state } = await store.aggregateStream('order-42', { initialState: () => ({ total: 0 }), evolve: (s, e) => ({ total: e.data.total }) });
 * ```
 */
export class EventStore {
  private readonly upcasters: UpcasterChain;
  private readonly inline: ProjectionDefinition<unknown>[];
  private readonly async: ProjectionDefinition<unknown>[];
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly logger = new Logger('EventStore');
  private readonly appendListeners = new Set<(streams: AppendedStream[]) => unknown>();
  private readonly projectionSubscriptions = new Map<string, CatchUpSubscription>();
  private closed = false;

  /** @internal Use the adapters' create functions. */
  constructor(
    private readonly backend: StorageBackend,
    options: EventStoreOptions = {},
  ) {
    this.upcasters = new UpcasterChain(options.upcasters);
    const projections = options.projections ?? [];
    const names = new Set<string>();
    for (const [index, projection] of projections.entries()) {
      if (
        !projection ||
        typeof projection.name !== 'string' ||
        projection.name === '' ||
        typeof projection.evolve !== 'function'
      )
        throw new EventStoreConfigError(
          `projections[${index}]`,
          `projections[${index}] needs a name and an evolve function.`,
        );
      if (projection.mode !== 'inline' && projection.mode !== 'async')
        throw new EventStoreConfigError(
          `projections[${index}].mode`,
          `Projection "${projection.name}": mode must be 'inline' or 'async'.`,
        );
      if (names.has(projection.name))
        throw new EventStoreConfigError(
          `projections[${index}].name`,
          `Two projections are named "${projection.name}"; names must be unique.`,
        );
      names.add(projection.name);
    }
    this.inline = projections.filter((p) => p.mode === 'inline');
    this.async = projections.filter((p) => p.mode === 'async');
  }

  /** The adapter behind this store. */
  get adapter(): 'memory' | 'postgres' | 'pglite' {
    return this.backend.kind;
  }

  /**
   * Appends events to a stream, atomically: all of them or none. With `expectedVersion`, fails
   * with `WrongExpectedVersionError` when the stream moved on. An append whose event ids are all
   * stored already is a replay: nothing is written and the result says `idempotent: true`, so a
   * retried Inngest step never duplicates events.
   */
  async appendToStream(
    streamId: string,
    events: NewEvent | NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    const request = this.prepareAppend(streamId, events, options);
    const needsTransaction = request.prepared.some((event) => this.inlineFor(event.type).length > 0);
    const result = needsTransaction
      ? await this.backend.transaction((tx) => this.appendIn(tx, request))
      : this.settle(
          request,
          await this.backend.append(request.tenantId, request.streamId, request.expected, request.prepared),
        );
    if (!result.idempotent) this.appended([{ tenantId: request.tenantId, streamId: request.streamId }]);
    return result;
  }

  /**
   * Runs `work` in one database transaction: its appends (to any streams) and their inline
   * projections commit together or not at all. The work may be run again on a serialisation
   * failure, so keep it free of other side effects.
   */
  async transaction<T>(work: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    let written = new Map<string, AppendedStream>();
    const result = await this.backend.transaction((tx) => {
      written = new Map(); // a retried transaction reports only what its last attempt wrote
      return work({
        appendToStream: async (streamId, events, options) =>
          this.appendIn(tx, this.prepareAppend(streamId, events, options), (stream) =>
            written.set(`${stream.tenantId}\u0000${stream.streamId}`, stream),
          ),
      });
    });
    if (written.size > 0) this.appended([...written.values()]);
    return result;
  }

  /**
   * Calls `listener` after each append this store instance commits (once per `appendToStream`, once
   * per transaction that appended), with the streams it wrote, each once; a replayed append or a
   * rolled-back transaction calls nothing. Appends made through other instances or processes are
   * not reported: subscribe to read those. When it is called, `readStream` sees the append; on
   * PostgreSQL `readAll` and subscriptions may see it only once older transactions have ended.
   * A listener that throws or rejects is logged and ignored: it never fails an append that has
   * committed. Returns the function that stops it.
   */
  onAppended(listener: (streams: AppendedStream[]) => unknown): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Reads a stream forward or backward, from and to versions (inclusive), at most `maxCount` events. */
  async readStream<E extends RecordedEvent = RecordedEvent>(
    streamId: string,
    options?: ReadStreamOptions,
  ): Promise<ReadStreamResult<E>> {
    this.assertOpen();
    const checked = checkReadStreamOptions(options);
    const { events, version } = await this.backend.readStream(checkStreamId(streamId), checked);
    return { events: events.map((event) => this.upcast(event)) as E[], version, exists: version > 0 };
  }

  /**
   * Reads the global order of a tenant (or `ALL_TENANTS`) after a checkpoint: events in commit
   * order, never skipping one that a slower transaction committed late.
   */
  async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    this.assertOpen();
    const checked = checkReadAllOptions(options);
    const events = (await this.backend.readAll(checked)).map((event) => this.upcast(event));
    return { events, checkpoint: events.at(-1)?.checkpoint ?? options?.after ?? START_CHECKPOINT };
  }

  /** Folds a stream into a state; the returned version is the `expectedVersion` of the next append. */
  async aggregateStream<State, E extends RecordedEvent = RecordedEvent>(
    streamId: string,
    options: AggregateStreamOptions<State, E>,
  ): Promise<AggregateStreamResult<State>> {
    const { evolve, initialState, tenantId } = options;
    const { events, version, exists } = await this.readStream<E>(
      streamId,
      tenantId === undefined ? undefined : { tenantId },
    );
    return { state: events.reduce(evolve, initialState()), version, exists };
  }

  /**
   * Starts a catch-up subscription: a named consumer that handles events in global order from its
   * durable checkpoint. Each batch's handler writes and checkpoint commit in one transaction, and
   * only one process runs a given consumer at a time.
   */
  subscribe(options: SubscriptionOptions): Subscription {
    this.assertOpen();
    const subscription = new CatchUpSubscription(this.backend, options, (event) => this.upcast(event));
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  /** Starts the async projections' subscriptions (the Nest module does this at bootstrap). Idempotent. */
  start(): void {
    this.assertOpen();
    for (const projection of this.async) {
      if (this.projectionSubscriptions.has(projection.name)) continue;
      this.projectionSubscriptions.set(projection.name, this.startProjection(projection));
    }
  }

  /** Resolves once every async projection has handled every event committed before the call. */
  async waitForProjections(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.projectionSubscriptions.values()].map((s) => s.waitUntilCaughtUp(timeoutMs)));
  }

  /** Reads a projection's documents. */
  projection<Doc = unknown>(name: string): ProjectionReader<Doc> {
    if (![...this.inline, ...this.async].some((p) => p.name === name))
      throw new EventStoreConfigError(
        'projection',
        `No projection is named "${name}"; pass it in the store's \`projections\` option.`,
      );
    return {
      get: async (id, options) =>
        (await this.backend.getDocument(
          name,
          checkTenant(options?.tenantId, 'options.tenantId'),
          id,
        )) as Doc | null,
      list: async (options) =>
        (await this.backend.listDocuments(
          name,
          checkTenant(options?.tenantId, 'options.tenantId'),
          options?.limit ?? 100,
          options?.after ?? null,
        )) as Array<{ id: string; doc: Doc }>,
    };
  }

  /**
   * Rebuilds a projection from position 0: its documents are deleted and every event is applied
   * again. An async projection keeps serving its old documents until the rebuild transaction's
   * first batch commits; rebuild an inline projection while nothing appends to its event types.
   */
  async rebuildProjection(name: string): Promise<void> {
    const projection = [...this.inline, ...this.async].find((p) => p.name === name);
    if (!projection)
      throw new EventStoreConfigError(
        'projection',
        `No projection is named "${name}"; pass it in the store's \`projections\` option.`,
      );
    if (projection.mode === 'async') {
      const running = this.projectionSubscriptions.get(name);
      await running?.stop();
      if (running) this.subscriptions.delete(running);
      await this.backend.transaction(async (tx) => {
        await tx.clearProjection(name);
        await tx.resetSubscription(PROJECTION_SUBSCRIPTION_PREFIX + name);
      });
      if (running) {
        const restarted = this.startProjection(projection);
        this.projectionSubscriptions.set(name, restarted);
        await restarted.waitUntilCaughtUp();
      }
      return;
    }
    await this.backend.transaction((tx) => tx.clearProjection(name));
    let after: string | undefined;
    for (;;) {
      const { events, checkpoint } = await this.readAll({
        tenantId: ALL_TENANTS,
        maxCount: 500,
        ...(after ? { after } : {}),
        ...(projection.eventTypes ? { types: projection.eventTypes } : {}),
      });
      if (events.length === 0) return;
      await this.backend.transaction(async (tx) => {
        for (const event of events) await projection.evolve(event, tx.documents(name, event.tenantId));
      });
      after = checkpoint;
    }
  }

  /** Stops every subscription and closes the adapter's connections (those it opened itself). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.backend.close();
  }

  private startProjection(projection: ProjectionDefinition<unknown>): CatchUpSubscription {
    const subscription = new CatchUpSubscription(
      this.backend,
      {
        name: PROJECTION_SUBSCRIPTION_PREFIX + projection.name,
        tenantId: ALL_TENANTS,
        ...(projection.eventTypes ? { types: projection.eventTypes } : {}),
        pollIntervalMs: 100,
        handler: (event, context) => projection.evolve(event, context.documents(projection.name)),
      },
      (event) => this.upcast(event),
    );
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  private prepareAppend(streamId: string, events: NewEvent | NewEvent[], options: AppendOptions | undefined) {
    const { expected, tenantId } = checkAppendOptions(options);
    return {
      streamId: checkStreamId(streamId),
      tenantId,
      expected,
      prepared: prepareEvents(events, (type) => this.upcasters.latestVersion(type)),
    };
  }

  private async appendIn(
    tx: StorageTransaction,
    request: ReturnType<EventStore['prepareAppend']>,
    onWritten?: (stream: AppendedStream) => void,
  ): Promise<AppendResult> {
    const outcome = await tx.append(request.tenantId, request.streamId, request.expected, request.prepared);
    const result = this.settle(request, outcome);
    if (result.idempotent) return result;
    // Written now: a projection below may throw, and work that catches it still commits these events.
    onWritten?.({ tenantId: request.tenantId, streamId: request.streamId });
    for (const event of result.events) {
      for (const projection of this.inlineFor(event.type)) {
        await projection.evolve(
          event,
          tx.documents(projection.name, event.tenantId) as ProjectionDocuments<unknown>,
        );
      }
    }
    return result;
  }

  private settle(request: ReturnType<EventStore['prepareAppend']>, outcome: RawAppendOutcome): AppendResult {
    switch (outcome.status) {
      case 'ok':
        return {
          nextExpectedVersion: outcome.nextVersion,
          events: outcome.events.map((e) => this.upcast(e)),
          idempotent: false,
        };
      case 'replay':
        return {
          nextExpectedVersion: outcome.nextVersion,
          events: outcome.events.map((e) => this.upcast(e)),
          idempotent: true,
        };
      case 'duplicate':
        throw new DuplicateEventIdError(request.streamId, outcome.eventIds);
      case 'wrong_version':
        throw new WrongExpectedVersionError(
          request.streamId,
          decodeExpected(request.expected!),
          outcome.actual,
        );
    }
  }

  private inlineFor(type: string): ProjectionDefinition<unknown>[] {
    if (this.inline.length === 0) return this.inline;
    return this.inline.filter((p) => !p.eventTypes || p.eventTypes.includes(type));
  }

  private upcast(event: RecordedEvent): RecordedEvent {
    if (this.upcasters.isEmpty) return event;
    const { data, version } = this.upcasters.apply(event.type, event.schemaVersion, event.data);
    return version === event.schemaVersion ? event : { ...event, data, schemaVersion: version };
  }

  private appended(streams: AppendedStream[]): void {
    for (const subscription of this.subscriptions) subscription.wake();
    // The append has committed: a listener's failure must not make it look failed.
    for (const listener of this.appendListeners) {
      try {
        const pending = listener(streams);
        if (pending instanceof Promise) pending.catch(this.reportListenerFailure);
      } catch (error) {
        this.reportListenerFailure(error);
      }
    }
  }

  private readonly reportListenerFailure = (error: unknown): void => {
    this.logger.warn(`An onAppended listener failed: ${(error as Error)?.message ?? String(error)}`);
  };

  private assertOpen(): void {
    if (this.closed) throw new EventStoreConfigError('store', 'The event store is closed; create a new one.');
  }
}
