import type {
  EngineEvent,
  RegisteredFunction,
  RunRecord,
  RunStatus,
  StepTimelineEntry,
} from '../engine.types';

/** Which runs `listRuns` returns. */
export interface RunFilter {
  /** The function: its composite id (`shop-send-receipt`) or its id in the app (`send-receipt`). */
  functionId?: string;
  /** One status or several. */
  status?: RunStatus | RunStatus[];
  /** Runs triggered by this event: its id, or the internal id `send()` answered for it. */
  eventId?: string;
  /** Runs created at or after this time (engine clock, ms). */
  createdSince?: number;
}

/** The functions an app registered at its last sync. */
export interface RegisteredApp {
  /** The app id (`appName` in the registration). */
  appId: string;
  /** The serve URL the engine synced; every Call Request goes there. */
  url: string;
  /** Its functions. */
  functions: RegisteredFunction[];
}

/** A run without its steps: the part of it that a transition rewrites. */
export type RunHead = Omit<RunRecord, 'steps' | 'stack' | 'timeline'>;

/** One memoized step of a run. Steps are only ever appended: a stored step never changes. */
export interface StoredStep {
  /** The hashed step id (its place in `stack`). */
  id: string;
  /** Its memoized result, as sent back to the SDK (`steps[id]`). */
  result: unknown;
  /** Its timeline entry. */
  entry: StepTimelineEntry;
}

/**
 * What changed in one run since the store last stored it: its head, rewritten whole, and the steps
 * memoized since, appended. A store never sees a run's earlier steps again.
 */
export interface RunChange {
  /** The run less its steps, as it is now; the engine never changes this object afterwards. */
  head: RunHead;
  /** How many of the run's steps the store holds already; `newSteps` follow them. */
  stepsBefore: number;
  /** The steps memoized since, in order (the run's steps `stepsBefore` onwards). */
  newSteps: StoredStep[];
  /**
   * Whether `head.event` or `head.events` differ from what the store holds: true for a new run,
   * a debounced run given a later event, a batch that grew, and a run's first write by a new
   * process. Otherwise a store need not write them again.
   */
  eventsChanged: boolean;
}

/**
 * What the engine stores in one transaction: the events it accepted and what changed in each run
 * (a head and the new steps, never a run's earlier steps again). Either all of it is stored or
 * none.
 */
export interface StoreBatch {
  /** Newly accepted events: their ids are deduplicated from then on (for 24 hours). */
  events: EngineEvent[];
  /** When the engine accepted them (engine clock, ms). */
  acceptedAt?: number;
  /** What changed in each run (one entry per run). */
  runs: RunChange[];
}

/** What a store needs to hold its lease, as the engine passes it. */
export interface LeaseOptions {
  /** How long to wait for another holder before refusing. */
  waitMs: number;
  /** Called if the lease is lost while held (the database connection that holds it broke). */
  onLost(error: Error): void;
}

/**
 * Where the engine keeps runs, events and the registered app. Memory by default; PostgreSQL
 * (`PostgresRunStore`) or PGlite (`PgliteRunStore`) so that a restarted engine resumes every
 * pending run.
 */
export interface RunStore {
  /** Prepares the store (creates or migrates tables); called once by the engine. */
  init(): Promise<void>;
  /**
   * Takes the store's lease, so that one engine at a time runs its runs; rejects with
   * `EngineLeaseError` when another engine holds it for longer than `waitMs`. Released by `close()`.
   */
  acquireLease(options: LeaseOptions): Promise<void>;
  /** Stores a batch atomically (one transaction on the SQL stores). */
  commit(batch: StoreBatch): Promise<void>;
  /** Which of these event ids were accepted at or after `since` (engine clock, ms). */
  knownEvents(ids: string[], since?: number): Promise<Set<string>>;
  /** One run. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Runs matching a filter, oldest first. */
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** Stores the app's registration. */
  saveApp(app: RegisteredApp): Promise<void>;
  /** The registered app, if any. */
  loadApp(): Promise<RegisteredApp | undefined>;
  /** Releases the lease and the connections the store opened itself. */
  close(): Promise<void>;
}

/** @internal Whether a run matches a filter (shared by every store); its head is enough. */
export function runMatches(run: RunHead, filter: RunFilter, appId?: string): boolean {
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
  if (filter.eventId && run.event.id !== filter.eventId && run.eventInternalId !== filter.eventId) {
    return false;
  }
  if (filter.createdSince !== undefined && run.createdAt < filter.createdSince) return false;
  return true;
}
