import type { SagaFailure, SagaStatus } from './saga.types';

/** Where a saga instance is, for queries by run id or business key. */
export interface SagaState {
  /** The saga id. */
  sagaId: string;
  /** The run id (the saga instance). */
  runId: string;
  /** The business key, if the saga defines one. */
  businessKey?: string;
  /**
   * `running` until it ends. `failed` only comes from run data (`EngineRunSagaStateStore`): the
   * saga's Inngest run failed outside its steps, so nothing more will happen; see `failure`.
   */
  status: 'running' | 'compensating' | SagaStatus | 'failed';
  /** Steps started, in start order. */
  startedSteps: string[];
  /** Steps completed, in order. */
  completedSteps: string[];
  /** Compensations completed, in order. */
  compensatedSteps: string[];
  /** Results of completed steps. */
  results: Record<string, unknown>;
  /** The failure that started compensation, if any. */
  failure?: SagaFailure;
  /** Compensations that failed for good. */
  compensationFailures: SagaFailure[];
  /**
   * When each run step started and ended, how many attempts it took and, when an open breaker
   * made it wait without spending attempts, how many such waits and how long they were in all.
   */
  timings: Record<
    string,
    { startedAt: number; endedAt: number; attempts: number; breakerWaits?: number; breakerWaitMs?: number }
  >;
  /**
   * The durable waits under way, by step id: a retry's backoff, or a wait for an open circuit
   * breaker's probe time. Absent when the saga is not waiting between tries of a step.
   */
  waiting?: Record<string, SagaWait>;
  /** When the saga started (ms since the epoch). */
  startedAt: number;
  /** When the state last changed. */
  updatedAt: number;
  /** The triggering event, so that a cancellation can compensate with the same context. */
  event: { name: string; data: Record<string, unknown>; id?: string };
}

/** A step waiting durably before its next try (see `SagaState.waiting`). */
export interface SagaWait {
  /** The step id. */
  stepId: string;
  /**
   * `circuit_open`: the try was refused up front by an open circuit breaker (an error with the
   * code `CIRCUIT_OPEN`); the step sleeps until the breaker's probe time and tries again without
   * spending an attempt. `retry`: the wait after a failed attempt (the backoff, or the delay the
   * error asked for).
   */
  reason: 'circuit_open' | 'retry';
  /** The breaker that refused, when its error names it. */
  breaker?: string;
  /** The durable sleep's step id, e.g. `charge#breaker-wait-2` or `charge#backoff-1`. */
  sleepId: string;
  /** When the step is tried again (ms since the epoch). */
  until: number;
  /** The attempt the next try is (1-based): a wait on a breaker does not move it. */
  attempt: number;
}

/** How a saga asks a store to save its state. */
export interface SagaStateSaveOptions {
  /**
   * The saga is about to start a step and saves again when it starts the next one, waits, fails
   * or ends: until then only queries read this state. A store may then resolve before the state
   * is stored and store only the latest of several such saves (the event store does; see
   * `EventStoreSagaStateStore`). Without it, the state is stored when `save` resolves.
   */
  deferrable?: boolean;
}

/**
 * Keeps saga states for queries and for compensating a cancelled saga. The memory store is the
 * default; back it with a durable store to keep states across restarts.
 */
export interface SagaStateStore {
  /**
   * Saves (replaces) a state. A store that ignores `options` stores every save before it resolves,
   * which is always correct.
   */
  save(state: SagaState, options?: SagaStateSaveOptions): Promise<void>;
  /** A state by run id. */
  get(runId: string): Promise<SagaState | undefined>;
  /** States of one saga with a business key, oldest first. */
  findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]>;
}

/** Options of {@link MemorySagaStateStore}. */
export interface MemorySagaStateStoreOptions {
  /**
   * How many states are kept. Past it, the states of ended sagas are dropped first, least
   * recently updated first; only when no ended one is left does the least recently updated
   * running saga go too (a run that ended without a last save would otherwise stay forever).
   * Default 10,000.
   */
  maxStates?: number;
}

/**
 * Keeps saga states in memory, bounded: ended sagas are forgotten first.
 *
 * While a saga runs, a save keeps the object it is given, not a copy: the saga saves its own state
 * object as it goes, so a read shows the saga as it is (possibly ahead of its last save), and
 * copying it on every save was a measurable share of a saga's cost. A final state is copied, so
 * nothing changes it afterwards (a parallel member still settling, say). Reads return copies.
 */
export class MemorySagaStateStore implements SagaStateStore {
  /** In order of last update, so the oldest entries are the first to drop. */
  private readonly states = new Map<string, SagaState>();
  private readonly maxStates: number;

  constructor(options: MemorySagaStateStoreOptions = {}) {
    this.maxStates = options.maxStates ?? 10_000;
  }

  async save(state: SagaState): Promise<void> {
    this.states.delete(state.runId);
    this.states.set(state.runId, isActive(state) ? state : structuredClone(state));
    if (this.states.size > this.maxStates) this.drop(this.states.size - this.maxStates, state.runId);
  }

  private drop(count: number, justSaved: string): void {
    for (const spareActive of [true, false]) {
      for (const [runId, state] of this.states) {
        if (count === 0) return;
        if (runId === justSaved || (spareActive && isActive(state))) continue;
        this.states.delete(runId);
        count--;
      }
    }
  }

  async get(runId: string): Promise<SagaState | undefined> {
    const state = this.states.get(runId);
    return state ? structuredClone(state) : undefined;
  }

  async findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]> {
    return [...this.states.values()]
      .filter((state) => state.sagaId === sagaId && state.businessKey === businessKey)
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((state) => structuredClone(state));
  }
}

/** @internal Whether the saga has yet to end. */
export const isActive = (state: SagaState) => state.status === 'running' || state.status === 'compensating';
