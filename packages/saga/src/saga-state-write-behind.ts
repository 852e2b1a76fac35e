import type { SagaState } from './saga.state';

/** Writes one state; `covers` are the progress keys of the deferred saves it supersedes. */
export type SagaStateWrite = (state: SagaState, covers: string[]) => Promise<void>;

/** How long a deferred state whose write failed waits before it is tried again, at least. */
const RETRY_AFTER_FAILURE_MS = 1_000;
/** Tries of a deferred state before it is left to the saga's next save (a closed store never heals). */
const DEFERRED_TRIES = 3;

/** A run's saves this process has not stored yet. */
interface RunWrites {
  /** The latest deferred save: the saga's own state object, copied when its write starts. */
  deferred?: SagaState;
  /** The progress keys of the deferred saves since the last write. */
  covers: string[];
  timer?: NodeJS.Timeout;
  /** The latest state queued or being written, until its write settles. */
  writing?: SagaState;
  /** The run's last write: a run's writes go one at a time, in the order of its saves. */
  tail?: Promise<void>;
  /** Failed tries of the deferred state kept after its write failed. */
  failedTries?: number;
}

/**
 * @internal Write-behind for saga states: a deferred save is written within `delayMs`, and only
 * the latest of a run's deferred saves is (steps that run back to back cost one write, not one
 * each); a save that must be stored now waits for the run's write in flight, then replaces the
 * deferred one. What is not stored yet stays readable here, so reads in this process are never
 * behind.
 */
export class SagaStateWriteBehind {
  private readonly runs = new Map<string, RunWrites>();

  constructor(
    private readonly write: SagaStateWrite,
    private readonly delayMs: number,
    private readonly onDeferredWriteError: (state: SagaState, error: unknown) => void,
  ) {}

  /** Keeps `state` to write within the delay; a later save of the run replaces it. */
  defer(state: SagaState, progressKey: string): void {
    const run = this.run(state.runId);
    run.deferred = state;
    run.covers.push(progressKey);
    run.timer ??= setTimeout(() => this.writeDeferred(state.runId), this.delayMs).unref();
  }

  /** Writes `state` after the run's write in flight; it replaces the run's deferred save. */
  writeNow(state: SagaState): Promise<void> {
    const run = this.run(state.runId);
    const covers = this.takeDeferred(run);
    return this.enqueue(state.runId, run, state, covers);
  }

  /** The newest state of the run that this process holds and may not have stored yet. */
  unstored(runId: string): SagaState | undefined {
    const run = this.runs.get(runId);
    return run?.deferred ?? run?.writing;
  }

  /** Whether the run's state here is kept after its write failed (other instances may be further). */
  failedBefore(runId: string): boolean {
    return (this.runs.get(runId)?.failedTries ?? 0) > 0;
  }

  /** Every such state. */
  allUnstored(): SagaState[] {
    return [...this.runs.keys()].flatMap((runId) => this.unstored(runId) ?? []);
  }

  /** Writes every deferred state now, and waits for every write in flight. */
  async flush(): Promise<void> {
    for (const runId of [...this.runs.keys()]) this.writeDeferred(runId);
    await Promise.all([...this.runs.values()].map((run) => run.tail?.catch(() => {})));
  }

  private writeDeferred(runId: string): void {
    const run = this.runs.get(runId);
    const state = run?.deferred;
    if (!run || !state) return;
    const covers = this.takeDeferred(run);
    this.enqueue(runId, run, state, covers, { keepOnFailure: true }).catch((error) =>
      this.onDeferredWriteError(state, error),
    );
  }

  private takeDeferred(run: RunWrites): string[] {
    clearTimeout(run.timer);
    const covers = run.covers;
    run.deferred = undefined;
    run.timer = undefined;
    run.covers = [];
    return covers;
  }

  /**
   * Queues the write of a copy of `state` after the run's write in flight. With `keepOnFailure`
   * (a deferred save, whose saga has gone on), a failed write leaves the state deferred again, to
   * be tried after another delay: until it is stored, reads here must not fall back to an older one.
   */
  private enqueue(
    runId: string,
    run: RunWrites,
    state: SagaState,
    covers: string[],
    { keepOnFailure = false } = {},
  ): Promise<void> {
    let copy: SagaState;
    try {
      // A copy, taken now: the saga goes on changing its own object. Readable at once, since the
      // run's deferred save was just taken: a reader in between would find the run nowhere.
      copy = structuredClone(state);
    } catch (error) {
      if (!run.deferred && !run.writing && !run.tail) this.runs.delete(runId);
      return Promise.reject(error); // from a timer, a throw would end the process
    }
    run.writing = copy;
    const next = (run.tail ?? Promise.resolve())
      .catch(() => {}) // the earlier write's caller has its error; this one is tried regardless
      .then(() => this.write(copy, covers));
    run.tail = next;
    const settle = (failed: boolean) => {
      if (run.tail !== next) return; // a later write is queued: it clears up after itself
      run.writing = undefined;
      run.failedTries = failed ? (run.failedTries ?? 0) + 1 : 0;
      if (failed && keepOnFailure && !run.deferred && run.failedTries < DEFERRED_TRIES) {
        run.deferred = copy;
        run.covers = covers;
        const delay = Math.max(this.delayMs, RETRY_AFTER_FAILURE_MS);
        run.timer = setTimeout(() => this.writeDeferred(runId), delay).unref();
      }
      if (!run.deferred) this.runs.delete(runId);
    };
    next.then(
      () => settle(false),
      () => settle(true),
    );
    return next;
  }

  private run(runId: string): RunWrites {
    const known = this.runs.get(runId);
    if (known) return known;
    const run: RunWrites = { covers: [] };
    this.runs.set(runId, run);
    return run;
  }
}
