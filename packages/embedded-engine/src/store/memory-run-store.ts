import type { RunRecord } from '../engine.types';
import { type RegisteredApp, type RunFilter, type RunStore, runMatches, type StoreBatch } from './run-store';

/** Keeps everything in memory: the default, lost when the process ends (so it needs no lease). */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly events = new Map<string, number>();
  private app?: RegisteredApp;

  async init(): Promise<void> {}

  async acquireLease(): Promise<void> {}

  async commit(batch: StoreBatch): Promise<void> {
    for (const event of batch.events) this.events.set(event.id, batch.acceptedAt ?? Date.now());
    // Copies, so that a stored state never changes behind the store's back.
    for (const run of batch.runs) this.runs.set(run.id, structuredClone(run));
  }

  async knownEvents(ids: string[], since = Number.NEGATIVE_INFINITY): Promise<Set<string>> {
    return new Set(
      ids.filter((id) => {
        const acceptedAt = this.events.get(id);
        return acceptedAt !== undefined && acceptedAt >= since;
      }),
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const saved = this.runs.get(runId);
    return saved ? structuredClone(saved) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .filter((run) => runMatches(run, filter, this.app?.appId))
      .map((run) => structuredClone(run));
  }

  async saveApp(app: RegisteredApp): Promise<void> {
    this.app = app;
  }

  async loadApp(): Promise<RegisteredApp | undefined> {
    return this.app;
  }

  async close(): Promise<void> {}
}
