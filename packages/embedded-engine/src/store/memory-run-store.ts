import { EngineConfigurationError } from '../engine.errors';
import type { RunRecord, RunStatus } from '../engine.types';
import { assembleRun } from '../runs/run-state';
import {
  type RegisteredApp,
  type RunFilter,
  type RunHead,
  type RunStore,
  runMatches,
  type StoreBatch,
  type StoredStep,
} from './run-store';

/** Options of `MemoryRunStore`. */
export interface MemoryRunStoreOptions {
  /**
   * How many finished runs (completed, failed or cancelled) it keeps; past that, the runs that
   * finished first are forgotten (`getRun` and `listRuns` no longer return them). Runs in progress
   * are always kept. Default `10_000`; `Infinity` keeps every run.
   */
  maxFinishedRuns?: number;
}

interface Saved {
  head: RunHead;
  steps: StoredStep[];
}

const FINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);
/** The engine deduplicates an event id for 24 hours; older ids are forgotten. */
const EVENT_ID_RETENTION_MS = 24 * 3_600_000;

/**
 * Keeps everything in memory: the default, lost when the process ends (so it needs no lease).
 *
 * It keeps what the engine hands it as is: a run's head is a snapshot the engine never changes,
 * and steps are appended, never changed, so a transition costs the store no copy of the run.
 * Reads return copies, so that what a caller does with them cannot reach the stored state.
 */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, Saved>();
  /** Run ids by the ids of their triggering event (its own id and its internal id). */
  private readonly byEvent = new Map<string, Set<string>>();
  /** Finished runs, the first finished first: the ones forgotten past `maxFinishedRuns`. */
  private readonly finished = new Set<string>();
  private readonly events = new Map<string, number>();
  private readonly maxFinishedRuns: number;
  private app?: RegisteredApp;

  constructor(options: MemoryRunStoreOptions = {}) {
    const max = options.maxFinishedRuns ?? 10_000;
    if (!(typeof max === 'number' && max >= 0)) {
      throw new EngineConfigurationError(
        'maxFinishedRuns',
        `maxFinishedRuns must be a number of runs, 0 or more (Infinity keeps every run); got ${String(max)}.`,
      );
    }
    this.maxFinishedRuns = max;
  }

  async init(): Promise<void> {}

  async acquireLease(): Promise<void> {}

  async commit(batch: StoreBatch): Promise<void> {
    const acceptedAt = batch.acceptedAt ?? Date.now();
    for (const event of batch.events) {
      // Re-inserted, so that the map stays in acceptance order for the pruning below.
      this.events.delete(event.id);
      this.events.set(event.id, acceptedAt);
    }
    this.forgetEventsBefore(acceptedAt - EVENT_ID_RETENTION_MS);
    for (const { head, stepsBefore, newSteps } of batch.runs) {
      let saved = this.runs.get(head.id);
      if (!saved) {
        saved = { head, steps: [] };
        this.runs.set(head.id, saved);
        this.index(head);
      } else {
        // A debounce gives the run a later event: only then does its place in the index move.
        const moved = eventKeys(saved.head).join('\n') !== eventKeys(head).join('\n');
        if (moved) this.unindex(saved.head);
        saved.head = head;
        if (moved) this.index(head);
      }
      // Steps the store holds already (a resumed run's first write) are not added twice.
      saved.steps.length = Math.min(saved.steps.length, stepsBefore);
      for (const step of newSteps) saved.steps.push(step);
      if (FINAL.has(head.status)) this.finished.add(head.id);
    }
    this.forgetFinishedRuns();
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
    return saved ? copyOf(saved) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const candidates = filter.eventId
      ? [...(this.byEvent.get(filter.eventId) ?? [])]
          .map((id) => this.runs.get(id)!)
          .sort((a, b) => (a.head.id < b.head.id ? -1 : 1))
      : this.runs.values();
    const found: RunRecord[] = [];
    for (const saved of candidates) {
      if (runMatches(saved.head, filter, this.app?.appId)) found.push(copyOf(saved));
    }
    return found;
  }

  async saveApp(app: RegisteredApp): Promise<void> {
    this.app = app;
  }

  async loadApp(): Promise<RegisteredApp | undefined> {
    return this.app;
  }

  async close(): Promise<void> {}

  private index(head: RunHead): void {
    for (const key of eventKeys(head)) {
      const ids = this.byEvent.get(key) ?? new Set<string>();
      ids.add(head.id);
      this.byEvent.set(key, ids);
    }
  }

  private unindex(head: RunHead): void {
    for (const key of eventKeys(head)) {
      const ids = this.byEvent.get(key);
      ids?.delete(head.id);
      if (ids?.size === 0) this.byEvent.delete(key);
    }
  }

  private forgetFinishedRuns(): void {
    for (const id of this.finished) {
      if (this.finished.size <= this.maxFinishedRuns) return;
      this.finished.delete(id);
      const saved = this.runs.get(id);
      if (saved) this.unindex(saved.head);
      this.runs.delete(id);
    }
  }

  private forgetEventsBefore(cutoff: number): void {
    for (const [id, acceptedAt] of this.events) {
      if (acceptedAt >= cutoff) return;
      this.events.delete(id);
    }
  }
}

function eventKeys(head: RunHead): string[] {
  return head.eventInternalId ? [head.event.id, head.eventInternalId] : [head.event.id];
}

function copyOf(saved: Saved): RunRecord {
  return structuredClone(assembleRun(saved.head, saved.steps));
}
