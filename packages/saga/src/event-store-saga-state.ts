import { createHash } from 'node:crypto';
import { type BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { SagaConfigError } from './saga.errors';
import type { SagaState, SagaStateSaveOptions, SagaStateStore } from './saga.state';
import { SagaStateWriteBehind } from './saga-state-write-behind';

/**
 * The part of `@sagaline/event-store`'s `EventStore` the saga states need; typed here so the saga
 * package does not depend on the event store.
 */
export interface SagaEventStoreLike {
  appendToStream(
    streamId: string,
    events: Array<{ id: string; type: string; data: unknown }>,
  ): Promise<unknown>;
  readStream(
    streamId: string,
    options?: { direction?: 'forward' | 'backward'; maxCount?: number },
  ): Promise<{ events: Array<{ data: unknown }> }>;
}

/** Options of {@link EventStoreSagaStateStore}. */
export interface EventStoreSagaStateStoreOptions {
  /**
   * How long the progress of a running saga may wait to be written (ms, default 100). Within it,
   * the saves of steps that follow each other are written once, as the latest of them. A saga's
   * state is always written before the saga waits (sleep, backoff, event), fails, stalls or ends,
   * whatever this delay.
   */
  progressWriteDelayMs?: number;
}

/** The event type of a saga state snapshot in the event store. */
export const SAGA_STATE_EVENT = 'saga.state';

/** Runs whose saved progress is remembered (the least recently saved are forgotten first). */
const MEMOIZED_RUNS = 10_000;

const DEFAULT_PROGRESS_WRITE_DELAY_MS = 100;

/** What this process knows a run's stream holds. */
interface StoredProgress {
  /** Progress keys stored, or superseded by a later state that is. */
  keys: Set<string>;
  /** How far the latest stored state is (see `progressOf`). */
  ordinal: number;
}

/**
 * Saga states kept in the event store: each stored state is an event in the stream
 * `saga-<runId>` (the furthest of its last few is the state), and each business key has a stream of the runs it
 * started. `SagaModule` uses it by default when `EventStoreModule` is in the app.
 *
 * A saga saves its state before each step; those saves are deferred (see
 * `progressWriteDelayMs`), so that a saga whose steps follow each other quickly is written about
 * once per run instead of once per step. The saves a reader relies on are stored before the saga
 * goes on: before it waits, when it fails and compensates, stalls, and when it ends (before its
 * lifecycle events are sent and before its function returns). Reads in this process see the
 * deferred state at once.
 *
 * The saga saves its state on every replay of its function, so each snapshot's event id is made
 * from the saga's progress: a replay writes nothing new, and a real change always does.
 */
export class EventStoreSagaStateStore implements SagaStateStore, BeforeApplicationShutdown {
  private readonly logger = new Logger('SagaModule');
  /**
   * The progress stored per run. Each replay of the function passes through every earlier
   * progress again and saves it; with this, those saves cost no round trip instead of one each.
   * Only an optimisation: on a miss (another process, or the run forgotten) the append is a
   * replay and stores nothing.
   */
  private readonly stored = new Map<string, StoredProgress>();
  private readonly writes: SagaStateWriteBehind;

  /**
   * @param store - the event store (`EventStore` of `@sagaline/event-store`).
   * @param options - see {@link EventStoreSagaStateStoreOptions}.
   * @throws SagaConfigError when `progressWriteDelayMs` is not a finite number of ms, 0 or more.
   */
  constructor(
    private readonly store: SagaEventStoreLike,
    options: EventStoreSagaStateStoreOptions = {},
  ) {
    const delay = options.progressWriteDelayMs ?? DEFAULT_PROGRESS_WRITE_DELAY_MS;
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw new SagaConfigError(
        'progressWriteDelayMs',
        `EventStoreSagaStateStore: progressWriteDelayMs must be a finite number of ms, 0 or more (got ${String(delay)}).`,
      );
    }
    this.writes = new SagaStateWriteBehind(
      (state, covers) => this.write(state, covers),
      delay,
      (state, error) =>
        this.logger.warn(
          `The state of saga run ${state.runId} (${state.sagaId}) could not be stored: ${(error as Error)?.message ?? error}. It is stored with a later try or the saga's next save.`,
        ),
    );
  }

  async save(state: SagaState, options: SagaStateSaveOptions = {}): Promise<void> {
    const { key, ordinal } = progressOf(state);
    const stored = this.stored.get(state.runId);
    if (stored?.keys.has(key)) return;
    // A replay passing through progress already stored; or the request of a run that was cancelled
    // meanwhile (it goes on until its next step), whose state must not undo the cancellation.
    if (stored && ordinal < stored.ordinal) return;
    if (!options.deferrable) return this.writes.writeNow(state);
    const unstored = this.writes.unstored(state.runId);
    if (unstored && unstored !== state && ordinal < ordinalOf(unstored)) return;
    this.writes.defer(state, key);
  }

  /** Writes every deferred state now, and waits for every write in flight (done at shutdown too). */
  flush(): Promise<void> {
    return this.writes.flush();
  }

  /** Nest's shutdown hook: deferred states are written before the event store closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  /**
   * Appends the state; with the run's first write in this process, the run to its business key's
   * stream, in parallel (on PGlite two appends issued together cost little more than one).
   */
  private async write(state: SagaState, covers: string[]): Promise<void> {
    const { key, ordinal } = progressOf(state);
    const known = this.stored.get(state.runId);
    const appends = [
      this.store.appendToStream(`saga-${state.runId}`, [
        { id: `saga-state:${state.runId}:${key}`, type: SAGA_STATE_EVENT, data: state },
      ]),
    ];
    if (known === undefined && state.businessKey !== undefined) {
      appends.push(
        this.store.appendToStream(businessKeyStream(state.sagaId, state.businessKey), [
          { id: `saga-run:${state.runId}`, type: 'saga.run', data: { runId: state.runId } },
        ]),
      );
    }
    await Promise.all(appends);
    // remembered only once both appends are stored, so a failed one is tried again next time
    this.remember(state.runId, [...covers, key], ordinal, known);
  }

  private remember(
    runId: string,
    keys: string[],
    ordinal: number,
    stored: StoredProgress = { keys: new Set(), ordinal },
  ): void {
    for (const key of keys) stored.keys.add(key);
    stored.ordinal = Math.max(stored.ordinal, ordinal);
    this.stored.delete(runId); // re-inserted last: the map's order is the order of use
    this.stored.set(runId, stored);
    if (this.stored.size > MEMOIZED_RUNS) this.stored.delete(this.stored.keys().next().value as string);
  }

  async get(runId: string): Promise<SagaState | undefined> {
    const unstored = this.writes.unstored(runId);
    // A state whose write failed may be older than what other instances stored meanwhile.
    if (unstored && !this.writes.failedBefore(runId)) return structuredClone(unstored);
    const { events } = await this.store.readStream(`saga-${runId}`, {
      direction: 'backward',
      maxCount: LATEST_STATES_READ,
    });
    // The furthest of the last few, not the last: another instance's deferred write of older
    // progress may have landed after a newer state (writes are ordered within a process only).
    const candidates = events.map((event) => event.data as SagaState);
    if (unstored) candidates.push(structuredClone(unstored));
    return furthest(candidates);
  }

  async findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]> {
    // Runs whose first write has yet to reach their business key's stream, taken before the read:
    // a write that lands during the read leaves this list, so taken after it would miss the run.
    const unstored = this.writes
      .allUnstored()
      .filter((state) => state.sagaId === sagaId && state.businessKey === businessKey);
    const { events } = await this.store.readStream(businessKeyStream(sagaId, businessKey));
    const runIds = new Set(events.map((event) => (event.data as { runId: string }).runId));
    for (const state of unstored) runIds.add(state.runId);
    const states = await Promise.all([...runIds].map((runId) => this.get(runId)));
    return states
      .filter((state): state is SagaState => state !== undefined)
      .sort((a, b) => a.startedAt - b.startedAt);
  }
}

/**
 * A state's progress: `key` names it (the id of its snapshot), `ordinal` grows with every change
 * a saga makes to it, so a replay's save of an earlier progress is recognised as such.
 */
function progressOf(state: SagaState): { key: string; ordinal: number } {
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        state.status,
        state.startedSteps,
        state.completedSteps,
        state.compensatedSteps,
        state.compensationFailures.length,
        // a stalled saga saves its failure with no other change; a later round, another failure
        ...(state.failure ? [state.failure.stepId, state.failure.name, state.failure.message] : []),
        // a wait (on a breaker, a backoff) is saved before it starts, so another process sees it
        ...(state.waiting ? Object.values(state.waiting).map((wait) => wait.sleepId) : []),
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  return { key, ordinal: ordinalOf(state) };
}

/** How far a state is: the part of `progressOf` that compares states, without hashing them. */
function ordinalOf(state: SagaState): number {
  return (
    STATUS_ORDER[state.status] +
    state.startedSteps.length +
    state.completedSteps.length +
    state.compensatedSteps.length +
    state.compensationFailures.length
  );
}

/** The state furthest on; of two as far, the one saved last (a stall's failure, a wait). */
function furthest(states: SagaState[]): SagaState | undefined {
  let best: { state: SagaState; ordinal: number } | undefined;
  for (const state of states) {
    const ordinal = ordinalOf(state);
    if (
      !best ||
      ordinal > best.ordinal ||
      (ordinal === best.ordinal && state.updatedAt > best.state.updatedAt)
    ) {
      best = { state, ordinal };
    }
  }
  return best?.state;
}

/** States read back to find a run's furthest: more than the instances that may write a run's progress at once. */
const LATEST_STATES_READ = 8;

/** Far apart, so that no count of steps takes a state back: an ended saga never runs again. */
const STATUS_ORDER: Record<SagaState['status'], number> = {
  running: 0,
  compensating: 1_000_000,
  completed: 2_000_000,
  compensated: 2_000_000,
  // above the other ends: a cancelled run's request may go on to complete it, after which the
  // cancellation's compensations have still undone it
  compensation_failed: 3_000_000,
  cancelled: 3_000_000,
  stalled: 2_000_000,
  failed: 2_000_000,
};

function businessKeyStream(sagaId: string, businessKey: string): string {
  return `saga-${sagaId}-by-key-${businessKey}`;
}
