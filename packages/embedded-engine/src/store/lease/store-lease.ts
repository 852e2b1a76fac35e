import { EngineLeaseError } from '../../engine.errors';
import type { LeaseOptions } from '../run-store';

/** @internal One engine per store: a lock held for the engine's lifetime. */
export interface StoreLease {
  acquire(options: LeaseOptions): Promise<void>;
  release(): Promise<void>;
}

/** @internal For stores no other process can open (PGlite in memory). */
export const processLocalLease: StoreLease = {
  acquire: async () => undefined,
  release: async () => undefined,
};

const RETRY_MS = 200;

/**
 * @internal Tries `attempt` until it succeeds or `waitMs` has passed. Polling is the point here: the
 * holder is another process, which tells this one nothing when it dies.
 */
export async function retryUntilHeld(
  attempt: () => Promise<boolean>,
  waitMs: number,
  store: string,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await attempt()) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new EngineLeaseError(store, waitMs);
    await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, left)));
  }
}
