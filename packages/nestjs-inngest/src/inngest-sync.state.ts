import { Injectable } from '@nestjs/common';

/** @internal Whether the app has synced its functions with the Inngest server (or engine). */
@Injectable()
export class InngestSyncState {
  private resolveSynced!: () => void;
  private rejectSynced!: (error: Error) => void;
  private current: { synced: boolean; error?: Error } = { synced: false };
  readonly whenSynced: Promise<void> = new Promise<void>((resolve, reject) => {
    this.resolveSynced = resolve;
    this.rejectSynced = reject;
  });

  constructor() {
    // A failed sync is reported through `whenSynced()`; without a listener it must not crash the app.
    this.whenSynced.catch(() => undefined);
  }

  get synced(): boolean {
    return this.current.synced;
  }

  get error(): Error | undefined {
    return this.current.error;
  }

  markSynced(): void {
    this.current = { synced: true };
    this.resolveSynced();
  }

  markFailed(error: Error): void {
    this.current = { synced: false, error };
    this.rejectSynced(error);
  }
}
