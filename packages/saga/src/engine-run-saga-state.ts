import type { Logger } from 'inngest';
import { toFailure } from './saga.failure';
import { initialSagaState, replaySagaState } from './saga.runner';
import {
  isActive,
  MemorySagaStateStore,
  type SagaState,
  type SagaStateSaveOptions,
  type SagaStateStore,
} from './saga.state';
import type { SagaDefinition, SagaFailure, SagaOutcome, SagaStepTools } from './saga.types';

/** One step of a run's timeline, as `@sagaline/embedded-engine` records it. */
export interface SagaRunStep {
  /** The step's id in code (`reserve`, `reserve#2`, `compensate:reserve`). */
  name: string;
  /** `run`, `sleep`, `waitForEvent` or `invoke`. */
  kind: string;
  /** What the step returned. */
  output?: unknown;
  /** The error it failed with, if it failed. */
  error?: { name: string; message: string };
  /** When it ended (ms since the epoch). */
  endedAt?: number;
}

/** A run, as `@sagaline/embedded-engine` keeps it. */
export interface SagaRunRecord {
  /** The run id. */
  id: string;
  /** The composite function id, `<appId>-<functionId>`. */
  functionId: string;
  /** Where the run is. */
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  /** The triggering event. */
  event: { id: string; name: string; data: Record<string, any>; ts?: number };
  /** The return value, once completed. */
  output?: unknown;
  /** The final error, once failed. */
  error?: { name: string; message: string };
  /** When the run was created (ms since the epoch). */
  createdAt: number;
  /** When it ended. */
  endedAt?: number;
  /** Its memoized steps, in completion order. */
  timeline: SagaRunStep[];
}

/**
 * The part of `@sagaline/embedded-engine`'s `EmbeddedEngine` the saga states need; typed here so
 * the saga package does not depend on the engine.
 */
export interface SagaRunSource {
  /** One run by id. */
  getRun(runId: string): Promise<SagaRunRecord | undefined>;
  /** The runs of one function (its composite id), optionally of one triggering event, oldest first. */
  listRuns(filter: { functionId: string; eventId?: string }): Promise<SagaRunRecord[]>;
}

/**
 * Saga states read back from the embedded engine's run data, so that they outlive the process
 * when the engine keeps its runs in PGlite or PostgreSQL. `SagaModule` uses it by default in
 * embedded mode without `EventStoreModule`.
 *
 * A saga saves its state as it goes; those saves stay in memory (`live`). Whatever memory no
 * longer holds (after a restart, or past the memory store's bound), and any saved state whose run
 * has ended without a last save, is rebuilt from the saga's run: the saga's own code is replayed
 * on the run's memoized steps, up to the step the run is at, so the state is the one the saga
 * held there. A cancelled run adds the outcome of its cancellation companion.
 */
export class EngineRunSagaStateStore implements SagaStateStore {
  /**
   * @param runs - the embedded engine (`INNGEST_EMBEDDED_ENGINE`).
   * @param appId - the Inngest app id, the prefix of the functions' composite ids.
   * @param sagas - the saga definitions by saga id (the `SagaRegistry`).
   * @param live - where the running sagas' saves go. Default: a new memory store.
   */
  constructor(
    private readonly runs: SagaRunSource,
    private readonly appId: string,
    private readonly sagas: { get(sagaId: string): { definition: SagaDefinition } | undefined },
    private readonly live: SagaStateStore = new MemorySagaStateStore(),
  ) {}

  save(state: SagaState, options?: SagaStateSaveOptions): Promise<void> {
    return this.live.save(state, options);
  }

  async get(runId: string): Promise<SagaState | undefined> {
    const saved = await this.live.get(runId);
    if (saved && !isActive(saved)) return saved;
    const run = await this.runs.getRun(runId);
    return run ? this.current(saved, run) : saved;
  }

  async findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]> {
    const saved = await this.live.findByBusinessKey(sagaId, businessKey);
    const definition = this.sagas.get(sagaId)?.definition;
    if (!definition?.businessKey) return saved;
    const savedByRun = new Map(saved.map((state) => [state.runId, state]));
    const keyOf = (run: SagaRunRecord) => {
      try {
        return definition.businessKey!(run.event);
      } catch {
        return undefined; // an event the key function cannot read has no key
      }
    };
    const runs = (await this.runs.listRuns({ functionId: this.functionId(sagaId) })).filter(
      (run) => keyOf(run) === businessKey,
    );
    const states = await Promise.all(runs.map((run) => this.current(savedByRun.get(run.id), run)));
    const fromRuns = new Set(runs.map((run) => run.id));
    return [
      ...saved.filter((state) => !fromRuns.has(state.runId)),
      ...states.filter((state) => state !== undefined),
    ].sort((a, b) => a.startedAt - b.startedAt);
  }

  /**
   * The saved state while it is final or its run still runs (the saga saves as it goes, so it is
   * the freshest); else the state rebuilt from the run, which also catches runs that ended
   * without a last save (cancelled before the companion ran, or failed outside their steps).
   */
  private async current(saved: SagaState | undefined, run: SagaRunRecord): Promise<SagaState | undefined> {
    if (saved && (!isActive(saved) || run.status === 'running')) return saved;
    const definition = this.definitionOf(run.functionId);
    if (!definition) return saved;
    const rebuilt = await this.fromRun(definition, run);
    // final: kept, so the next query is not another replay
    if (!isActive(rebuilt)) await this.live.save(rebuilt);
    return rebuilt;
  }

  private functionId(sagaId: string): string {
    return `${this.appId}-${sagaId}`;
  }

  private definitionOf(functionId: string): SagaDefinition | undefined {
    const prefix = `${this.appId}-`;
    return functionId.startsWith(prefix)
      ? this.sagas.get(functionId.slice(prefix.length))?.definition
      : undefined;
  }

  private async fromRun(definition: SagaDefinition, run: SagaRunRecord): Promise<SagaState> {
    let state: SagaState;
    try {
      state = await replaySagaState(definition, {
        event: run.event,
        step: memoizedSteps(run),
        runId: run.id,
        logger: silentLogger,
      });
    } catch (error) {
      // the saga's own code threw outside its steps (say, in a key function): keep what is known
      state = initialSagaState(definition.id, run.id, run.event);
      state.failure = toFailure(error);
    }
    const lastChange =
      run.endedAt ?? Math.max(run.createdAt, ...run.timeline.map((entry) => entry.endedAt ?? 0));
    state.updatedAt = lastChange;
    switch (run.status) {
      case 'completed':
        // the run's output is the outcome the saga returned: the authority on how it ended
        return { ...state, ...outcomeFields(run.output as SagaOutcome) };
      case 'failed':
        return { ...state, status: 'failed', failure: serializedFailure(run.error) };
      case 'cancelled':
        return { ...state, ...(await this.cancellation(definition, run.id)) };
      default:
        return state;
    }
  }

  /**
   * A cancelled saga's compensations run in its companion function: compensating while the
   * companion runs (or has yet to start), its outcome once done, `compensation_failed` if it
   * failed. Without a companion run the saga just stopped: `cancelled`.
   */
  private async cancellation(definition: SagaDefinition, runId: string): Promise<Partial<SagaState>> {
    const [companion] = await this.runs.listRuns({
      functionId: this.functionId(`${definition.id}-cancellation`),
      // the engine's id of the `inngest/function.cancelled` event of that run
      eventId: `cancelled-${runId}`,
    });
    if (!companion) return { status: 'cancelled' };
    if (companion.status === 'running') return { status: 'compensating' };
    if (companion.status === 'completed') {
      const outcome = companion.output as SagaOutcome;
      return {
        status: outcome.status === 'compensation_failed' ? 'compensation_failed' : 'cancelled',
        compensatedSteps: outcome.compensatedSteps,
        compensationFailures: outcome.compensationFailures,
      };
    }
    return { status: 'compensation_failed', compensationFailures: [serializedFailure(companion.error)] };
  }
}

/** A run's final error as a saga failure; the run data names no step. */
function serializedFailure(error: SagaRunRecord['error']): SagaFailure {
  return toFailure({ name: error?.name, message: error?.message ?? '' });
}

/** The fields of a saga's outcome that its state carries too. */
function outcomeFields(outcome: SagaOutcome): Partial<SagaState> {
  const { status, completedSteps, compensatedSteps, results, failure, compensationFailures } = outcome;
  return {
    status,
    completedSteps,
    compensatedSteps,
    results,
    ...(failure ? { failure } : {}),
    compensationFailures,
  };
}

/** Inngest does not log during a replay of memoized steps; neither does a rebuild. */
const silentLogger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

/**
 * Step tools that answer from the run's memoized steps, and leave any other step pending: the
 * saga's code stops where the run is.
 */
function memoizedSteps(run: SagaRunRecord): SagaStepTools {
  const memo = new Map(run.timeline.map((entry) => [entry.name, entry]));
  const notRunYet = new Promise<never>(() => {});
  const answer = (id: string): Promise<any> => {
    const entry = memo.get(id);
    if (!entry) return notRunYet;
    if (entry.error) {
      const error = Object.assign(new Error(entry.error.message), entry.error, { stepId: id });
      return Promise.reject(error);
    }
    return Promise.resolve(entry.output ?? null);
  };
  return {
    run: answer,
    sleep: async (id) => {
      await answer(id);
    },
    waitForEvent: answer,
    sendEvent: answer, // answered from the memo like any step: a rebuild sends nothing
  };
}
