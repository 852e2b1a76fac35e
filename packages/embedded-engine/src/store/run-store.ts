import type { EngineEvent, RegisteredFunction, RunRecord, RunStatus } from '../engine.types';

/** Which runs `listRuns` returns. */
export interface RunFilter {
  /** The function: its composite id (`shop-send-receipt`) or its id in the app (`send-receipt`). */
  functionId?: string;
  /** One status or several. */
  status?: RunStatus | RunStatus[];
  /** Runs triggered by this event id. */
  eventId?: string;
}

/** The functions an app registered at its last sync. */
export interface RegisteredApp {
  /** The app id (`appName` in the registration). */
  appId: string;
  /** The serve URL the app registered. */
  url: string;
  /** Its functions. */
  functions: RegisteredFunction[];
}

/**
 * Where the engine keeps runs, events and the registered app. Memory by default; PostgreSQL
 * (`PostgresRunStore`) or PGlite (`PgliteRunStore`) so that a restarted engine resumes every
 * pending run.
 */
export interface RunStore {
  /** Prepares the store (creates tables); called once by the engine. */
  init(): Promise<void>;
  /** Saves a run's whole state. */
  saveRun(run: RunRecord): Promise<void>;
  /** One run. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Runs matching a filter, oldest first. */
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** Stores an event; `false` when its id was seen before (it then triggers nothing). */
  recordEvent(event: EngineEvent): Promise<boolean>;
  /** Stores the app's registration. */
  saveApp(app: RegisteredApp): Promise<void>;
  /** The registered app, if any. */
  loadApp(): Promise<RegisteredApp | undefined>;
  /** Releases connections the store opened itself. */
  close(): Promise<void>;
}

/** @internal Whether a run matches a filter (shared by every store). */
export function runMatches(run: RunRecord, filter: RunFilter, appId?: string): boolean {
  if (
    filter.functionId &&
    run.functionId !== filter.functionId &&
    run.functionId !== `${appId}-${filter.functionId}`
  ) {
    return false;
  }
  if (filter.status) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (!statuses.includes(run.status)) return false;
  }
  if (filter.eventId && run.event.id !== filter.eventId) return false;
  return true;
}
