import type { RunRecord } from '../engine.types';
import type { RunHead } from '../store/run-store';

/** @internal Told of every stored state of the runs it watches; `full` builds the whole run. */
export type RunWatcher = (head: RunHead, full: () => RunRecord) => void;

/** @internal Which runs a watcher is about: one run, the runs of one event, or any run. */
export interface WatchScope {
  runId?: string;
  eventId?: string;
}

/**
 * @internal The watchers of stored run states (`waitForRun`), indexed by run id and event id, so
 * that a stored state reaches only the watchers that may want it, however many wait.
 */
export class RunWatchers {
  private readonly byKey = new Map<string, Set<RunWatcher>>();

  /** Adds a watcher; the function returned removes it, and says whether it was still there. */
  add(scope: WatchScope, watcher: RunWatcher): () => boolean {
    const key = scope.runId ? `run:${scope.runId}` : scope.eventId ? `event:${scope.eventId}` : '*';
    const watchers = this.byKey.get(key) ?? new Set<RunWatcher>();
    watchers.add(watcher);
    this.byKey.set(key, watchers);
    return () => {
      const removed = watchers.delete(watcher);
      if (watchers.size === 0 && this.byKey.get(key) === watchers) this.byKey.delete(key);
      return removed;
    };
  }

  /** Tells the watchers that may want it of a run's stored state. */
  notify(head: RunHead, full: () => RunRecord): void {
    if (this.byKey.size === 0) return;
    const keys = [`run:${head.id}`, `event:${head.event.id}`, '*'];
    if (head.eventInternalId && head.eventInternalId !== head.event.id) {
      keys.push(`event:${head.eventInternalId}`);
    }
    for (const key of keys) {
      const watchers = this.byKey.get(key);
      if (watchers) for (const watcher of [...watchers]) watcher(head, full);
    }
  }
}
