import { Logger } from '@nestjs/common';
import { DEFAULT_TENANT, type RecordedEvent } from './event.types';
import { EventStoreValidationError, SubscriptionHandlerError } from './event-store.errors';
import type { ProjectionDocuments } from './projections';
import type { StorageBackend, StorageTransaction } from './storage';
import { checkTenant } from './validation';

/** What a subscription handler gets besides the event. */
export interface SubscriptionContext {
  /**
   * A projection's documents for the event's tenant, written in the same transaction as the
   * subscription's checkpoint: the writes and the checkpoint commit together, exactly once.
   */
  documents<Doc = unknown>(projection: string): ProjectionDocuments<Doc>;
}

/** Options of `EventStore.subscribe`. */
export interface SubscriptionOptions {
  /** The consumer's durable name: its checkpoint is stored under it. One consumer runs it at a time, across processes. */
  name: string;
  /** Handles one event. A throw rolls the batch back and the event is retried on the next poll. */
  handler: (event: RecordedEvent, context: SubscriptionContext) => Promise<void> | void;
  /** The tenant to follow, or `ALL_TENANTS`. Default `DEFAULT_TENANT`. */
  tenantId?: string;
  /** Only these event types. */
  types?: string[];
  /**
   * The most events per transaction. Default 1000, as `readAll`'s `maxCount`: a batch costs a few
   * round trips and a commit however small it is, so catching up is faster in large batches, and
   * a batch only holds the events already there, so a small one does not arrive sooner. A handler
   * error re-runs its whole batch.
   */
  batchSize?: number;
  /** How often to look for new events when idle (ms); appends in this process wake it at once. Default 250. */
  pollIntervalMs?: number;
}

/** A running catch-up subscription. */
export interface Subscription {
  /** The consumer's name. */
  readonly name: string;
  /** The checkpoint of the last event handled by this instance (the start when none). */
  readonly checkpoint: string | null;
  /** The last handler error, if the subscription is retrying one. */
  readonly lastError: Error | null;
  /** Resolves once every event committed before the call has been handled. */
  waitUntilCaughtUp(timeoutMs?: number): Promise<void>;
  /** Stops polling; resolves when the batch in progress has finished. */
  stop(): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 1000;

const KNOWN = ['name', 'handler', 'tenantId', 'types', 'batchSize', 'pollIntervalMs'];

/** @internal Polls the backend and hands events to the handler, one claimed batch at a time. */
export class CatchUpSubscription implements Subscription {
  readonly name: string;
  checkpoint: string | null = null;
  lastError: Error | null = null;
  private readonly logger: Logger;
  private readonly tenantId: string;
  private readonly types: string[] | null;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wakeRequested = false;
  private waiters: Array<{ afterPoll: number; resolve: () => void }> = [];
  private pollsStarted = 0;

  constructor(
    private readonly backend: StorageBackend,
    private readonly options: SubscriptionOptions,
    private readonly prepare: (event: RecordedEvent) => RecordedEvent,
  ) {
    for (const key of Object.keys(options)) {
      if (!KNOWN.includes(key))
        throw new EventStoreValidationError(
          `options.${key}`,
          `is not a subscription option; known: ${KNOWN.join(', ')}.`,
        );
    }
    if (typeof options.name !== 'string' || options.name.trim() === '')
      throw new EventStoreValidationError(
        'options.name',
        'must be a non-empty string: the consumer is known by it.',
      );
    if (typeof options.handler !== 'function')
      throw new EventStoreValidationError('options.handler', 'must be a function.');
    for (const key of ['batchSize', 'pollIntervalMs'] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1))
        throw new EventStoreValidationError(`options.${key}`, 'must be a whole number of at least 1.');
    }
    this.name = options.name;
    this.tenantId =
      options.tenantId === undefined
        ? DEFAULT_TENANT
        : checkTenant(options.tenantId, 'options.tenantId', true);
    this.types = options.types && options.types.length > 0 ? options.types : null;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.logger = new Logger(`EventStoreSubscription:${this.name}`);
  }

  /** @internal */
  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** @internal Called after local appends so the subscription does not wait for its poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.stopped) return;
      if (this.wakeRequested) {
        this.wakeRequested = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.pollIntervalMs);
        this.timer.unref();
      }
    });
  }

  waitUntilCaughtUp(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(
          new Error(
            `Subscription "${this.name}" did not catch up within ${timeoutMs} ms${this.lastError ? ` (last error: ${this.lastError.message})` : ''}.`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      // Only a poll that starts after this call has seen every event committed before it.
      this.waiters.push({ afterPoll: this.pollsStarted, resolve: done });
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const poll = ++this.pollsStarted;
      let count: number;
      try {
        const result = await this.backend.consume(
          this.name,
          { tenantId: this.tenantId, types: this.types, maxCount: this.batchSize },
          ({ events, transaction }) => this.handleBatch(events, transaction),
        );
        // Another process holds the claim: it is handling the events, so we are caught up as far as we can be.
        if (result === null) count = 0;
        else {
          count = result.count;
          if (count > 0) this.checkpoint = result.checkpoint;
        }
        this.lastError = null;
      } catch (error) {
        this.lastError = error as Error;
        this.logger.error((error as Error).message);
        return;
      }
      if (count < this.batchSize) {
        const ready = this.waiters.filter((waiter) => waiter.afterPoll < poll);
        this.waiters = this.waiters.filter((waiter) => waiter.afterPoll >= poll);
        for (const waiter of ready) waiter.resolve();
        if (count === 0) return;
      }
    }
  }

  private async handleBatch(events: RecordedEvent[], transaction: StorageTransaction): Promise<void> {
    for (const stored of events) {
      const event = this.prepare(stored);
      const context: SubscriptionContext = {
        documents: <Doc>(projection: string) =>
          transaction.documents(projection, event.tenantId) as ProjectionDocuments<Doc>,
      };
      try {
        await this.options.handler(event, context);
      } catch (error) {
        throw new SubscriptionHandlerError(this.name, event.id, { cause: error });
      }
    }
  }
}
