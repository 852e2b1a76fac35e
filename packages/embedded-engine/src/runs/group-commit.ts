import { EngineStoppedError } from '../engine.errors';
import type { EngineLogger } from '../engine.options';
import type { EngineEvent, RunRecord } from '../engine.types';
import type { RunChange, RunStore } from '../store/run-store';
import { headOf, stepsOf } from './run-state';

interface Waiters {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** What the store holds of a run, as of its last write by this process. */
interface StoredMark {
  steps: number;
  event: EngineEvent;
  events: EngineEvent[];
  eventCount: number;
}

/** A run's change as stored, beside the live run it was taken from. */
export interface StoredChange {
  change: RunChange;
  run: RunRecord;
}

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 5_000;

/**
 * @internal Stores the engine's changes, one transaction at a time. The engine changes its runs in
 * memory, marks them here, and waits for `durable()` before anything that depends on the change
 * leaves the process (a Call Request, an answer to the event API or a checkpoint, a watcher's
 * notification). Changes made while a transaction is in flight go into the next one together
 * (group commit), so the store sees one write per round trip however busy the engine is.
 *
 * Each write carries what changed only: a run's head and the steps memoized since its last write.
 * A run this process has not written yet (a new one, or one resumed from the store) is written
 * with all its steps and its events; the stores ignore steps they already hold.
 */
export class GroupCommit {
  private readonly dirty = new Set<RunRecord>();
  private events: EngineEvent[] = [];
  private readonly writing = new Set<string>();
  private readonly stored = new WeakMap<RunRecord, StoredMark>();
  private next?: Waiters;
  private draining?: Promise<void>;
  private stopped?: Error;

  constructor(
    private readonly store: RunStore,
    private readonly logger: EngineLogger,
    /** Called with the stored changes, in commit order. */
    private readonly onStored: (changes: StoredChange[]) => void,
    /** The engine clock: when events were accepted. */
    private readonly now: () => number = Date.now,
  ) {}

  /** A run changed: its whole state goes into the next transaction. */
  markRun(run: RunRecord): void {
    this.dirty.add(run);
    this.schedule();
  }

  /** An event was accepted: its id goes into the next transaction with the runs it changed. */
  addEvent(event: EngineEvent): void {
    this.events.push(event);
    this.schedule();
  }

  /** Whether a run has changes not yet stored. */
  hasUnstored(run: RunRecord): boolean {
    return this.dirty.has(run) || this.writing.has(run.id);
  }

  /** Resolves once every change made before the call is stored; rejects if the engine stops first. */
  durable(): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return this.schedule().promise;
  }

  /** Stores what is left, then refuses further changes. */
  async close(reason: Error): Promise<void> {
    await this.draining;
    this.stopped = reason;
  }

  private schedule(): Waiters {
    if (!this.next) {
      this.next = deferred();
      this.draining ??= this.drain();
    }
    return this.next;
  }

  /** Drops what is not stored and fails its waiters: the engine may not write any more. */
  halt(reason: Error): void {
    this.stopped = reason;
    this.next?.reject(reason);
    this.next = undefined;
    this.dirty.clear();
    this.events = [];
  }

  private async drain(): Promise<void> {
    // Let the rest of the current turn add its changes to this transaction.
    await Promise.resolve();
    while (this.next && !this.stopped) {
      const waiters = this.next;
      this.next = undefined;
      const changes = [...this.dirty].map((run) => ({ change: this.changeOf(run), run }));
      const events = this.events;
      this.dirty.clear();
      this.events = [];
      for (const { run } of changes) this.writing.add(run.id);
      const stored = await this.write(
        changes.map(({ change }) => change),
        events,
      );
      this.writing.clear();
      if (!stored) {
        waiters.reject(this.stopped ?? new EngineStoppedError('stopped'));
        break;
      }
      for (const { change, run } of changes) {
        this.stored.set(run, {
          steps: change.stepsBefore + change.newSteps.length,
          event: change.head.event,
          events: run.events,
          eventCount: change.head.events.length,
        });
      }
      waiters.resolve();
      this.onStored(changes);
    }
    this.draining = undefined;
  }

  /** What changed in `run` since its last write: a snapshot of its head, and its new steps. */
  private changeOf(run: RunRecord): RunChange {
    const mark = this.stored.get(run);
    const stepsBefore = mark?.steps ?? 0;
    return {
      head: headOf(run),
      stepsBefore,
      newSteps: stepsOf(run, stepsBefore),
      // A debounce replaces the run's event; a batch pushes onto its list.
      eventsChanged:
        !mark ||
        mark.event !== run.event ||
        mark.events !== run.events ||
        mark.eventCount !== run.events.length,
    };
  }

  /** Retries a failed write (the database restarting, a dropped connection) until it is stored. */
  private async write(runs: RunChange[], events: EngineEvent[]): Promise<boolean> {
    let delay = RETRY_FIRST_MS;
    for (;;) {
      if (this.stopped) return false;
      try {
        await this.store.commit({ runs, events, acceptedAt: this.now() });
        return true;
      } catch (error) {
        this.logger.error(
          `Storing ${runs.length} runs and ${events.length} events failed, retrying in ${delay} ms: ${(error as Error).message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }
}

function deferred(): Waiters {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
