import { InngestBindingError, InngestSyncTimeoutError } from './inngest.errors';
import type { InngestMode } from './inngest.options';

interface SyncWaiter {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * @internal Whether the app has synced its functions with the Inngest server (or engine), and the
 * bounded waits for it. Created with the client, because the client's middleware waits on it too.
 */
export class InngestSyncState {
  private current: { synced: boolean; error?: Error } = { synced: false };
  private readonly waiters = new Set<SyncWaiter>();

  constructor(
    private readonly mode: InngestMode,
    private readonly timeoutMs: number,
  ) {}

  get synced(): boolean {
    return this.current.synced;
  }

  get error(): Error | undefined {
    return this.current.error;
  }

  /**
   * Resolves once synced; rejects with the sync error, or with `InngestSyncTimeoutError` after
   * `syncTimeoutMs`. A later successful sync (a PUT from the server) clears an earlier failure.
   */
  whenSynced(): Promise<void> {
    if (this.current.synced) return Promise.resolve();
    if (this.current.error) return Promise.reject(this.current.error);
    return new Promise<void>((resolve, reject) => {
      const waiter: SyncWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new InngestSyncTimeoutError(this.mode, this.timeoutMs));
        }, this.timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Returns whether this is the first sync. */
  markSynced(): boolean {
    const first = !this.current.synced;
    this.current = { synced: true };
    this.settle((waiter) => waiter.resolve());
    return first;
  }

  markFailed(error: Error): void {
    this.current = { synced: false, error };
    this.settle((waiter) => waiter.reject(error));
  }

  /** Releases the waits of an app that closes before it synced, so no timer outlives it. */
  close(): void {
    if (this.current.synced) return;
    const closed = new InngestBindingError(
      'INNGEST_APP_CLOSED',
      'The app closed before it synced with Inngest, so the wait for the sync (or an event waiting for it) was abandoned.',
    );
    this.settle((waiter) => waiter.reject(closed));
  }

  private settle(action: (waiter: SyncWaiter) => void): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      action(waiter);
    }
    this.waiters.clear();
  }
}
