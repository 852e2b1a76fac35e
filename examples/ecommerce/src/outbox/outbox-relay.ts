import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EventStore } from '@sagaline/event-store';
import { InngestService } from '@sagaline/nestjs-inngest';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';
import { due, type PendingOutboxEvent, postpone, recordHistory, sent } from './outbox';

type OutgoingEvents = Parameters<InngestService['send']>[0];

/** Events sent per request to Inngest. */
const BATCH_SIZE = 100;
/** How often the relay looks for events left by a failed attempt or by a process that died. */
const SWEEP_INTERVAL_MS = 1_000;
/** The wait before the n-th retry doubles from this, up to `MAX_RETRY_DELAY_MS`. */
const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Sends what the outbox holds: records each event in its event-store stream (if it has one), then
 * sends it to Inngest, then forgets it. A crash anywhere in between only repeats work that is
 * idempotent by event id. It wakes when a transaction that added events commits (`wake()`), and
 * sweeps every second for the rest, so what a killed process committed is sent after a restart.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private draining?: Promise<void>;
  private again = false;
  private sweep?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly store: EventStore,
    private readonly inngest: InngestService,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep = setInterval(() => this.wake(), SWEEP_INTERVAL_MS);
    this.sweep.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    await this.draining;
  }

  /** Sends what is due now; a wake during a drain runs one more drain after it. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves once nothing due is left (for tests and shutdown). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      // Events sent before the app has synced with an embedded engine would start no run.
      await this.inngest.whenSynced();
      for (;;) {
        if (this.stopped) return;
        const batch = await due(this.db, BATCH_SIZE);
        if (batch.length === 0) return;
        await this.relay(batch);
        if (batch.length < BATCH_SIZE) return;
      }
    } catch (error) {
      this.logger.error(`The outbox could not be read: ${(error as Error).message}`);
    }
  }

  private async relay(batch: PendingOutboxEvent[]): Promise<void> {
    const ids = batch.map((event) => event.id);
    try {
      for (const event of batch) await recordHistory(this.store, event);
      // The outbox stores events of every name; each was typed when it was enqueued.
      const events = batch.map(({ id, name, data }) => ({ id, name, data })) as OutgoingEvents;
      await this.inngest.send(events);
      await sent(this.db, ids);
    } catch (error) {
      const attempts = Math.max(...batch.map((event) => event.attempts));
      const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** attempts);
      const reason = (error as Error).message;
      this.logger.warn(`Sending ${ids.length} outbox events failed (${reason}); retrying in ${delay} ms`);
      await postpone(this.db, ids, delay, reason).catch(() => undefined);
    }
  }
}
