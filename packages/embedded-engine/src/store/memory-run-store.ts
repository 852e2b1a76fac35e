import type { EngineEvent, RunRecord } from '../engine.types';
import { type RegisteredApp, type RunFilter, type RunStore, runMatches } from './run-store';

/** Keeps everything in memory: the default, lost when the process ends. */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly events = new Set<string>();
  private app?: RegisteredApp;

  async init(): Promise<void> {}

  async saveRun(run: RunRecord): Promise<void> {
    // A copy, so that a saved state is never changed behind the store's back.
    this.runs.set(run.id, structuredClone(run));
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

  async recordEvent(event: EngineEvent): Promise<boolean> {
    if (this.events.has(event.id)) return false;
    this.events.add(event.id);
    return true;
  }

  async saveApp(app: RegisteredApp): Promise<void> {
    this.app = app;
  }

  async loadApp(): Promise<RegisteredApp | undefined> {
    return this.app;
  }

  async close(): Promise<void> {}
}
