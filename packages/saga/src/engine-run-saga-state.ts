import { MemorySagaStateStore, type SagaState, type SagaStateStore } from './saga.state';
import type { SagaDefinition, SagaOutcome } from './saga.types';

/** One step of a run's timeline, as `@sagaline/embedded-engine` records it. */
export interface SagaRunStep {
  /** The step's id in code (`reserve`, `reserve#2`, `compensate:reserve`). */
  name: string;
  /** `run`, `sleep`, `waitForEvent` or `invoke`. */
  kind: string;
  /** What the step returned. */
  output?: unknown;
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
  /** When the run was created (ms since the epoch). */
  createdAt: number;
  /** When it ended. */
  endedAt?: number;
  /** Its memoized steps, in completion order. */
  timeline: SagaRunStep[];
  /** What it waits for while it runs (`sleep` and `wait` carry the step's id as `name`). */
  pending?: Array<{ kind: string; name?: string }>;
}

/**
 * The part of `@sagaline/embedded-engine`'s `EmbeddedEngine` the saga states need; typed here so
 * the saga package does not depend on the engine.
 */
export interface SagaRunSource {
  /** One run by id. */
  getRun(runId: string): Promise<SagaRunRecord | undefined>;
  /** The runs of one function (its composite id), oldest first. */
  listRuns(filter: { functionId: string }): Promise<SagaRunRecord[]>;
}

/**
 * Saga states read back from the embedded engine's run data, so that they outlive the process
 * when the engine keeps its runs in PGlite or PostgreSQL. `SagaModule` uses it by default in
 * embedded mode without `EventStoreModule`.
 *
 * A saga saves its state as it goes; those saves stay in memory (`live`), and whatever memory no
 * longer holds (a restart, or a state forgotten past the memory store's bound) is rebuilt from
 * the saga's run: its outcome once it has ended, its memoized steps while it runs.
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

  save(state: SagaState): Promise<void> {
    return this.live.save(state);
  }

  async get(runId: string): Promise<SagaState | undefined> {
    const saved = await this.live.get(runId);
    if (saved) return saved;
    const run = await this.runs.getRun(runId);
    const definition = run && this.definitionOf(run.functionId);
    return definition && this.fromRun(definition, run);
  }

  async findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]> {
    const saved = await this.live.findByBusinessKey(sagaId, businessKey);
    const definition = this.sagas.get(sagaId)?.definition;
    if (!definition?.businessKey) return saved;
    const known = new Set(saved.map((state) => state.runId));
    const runs = await this.runs.listRuns({ functionId: this.functionId(sagaId) });
    const rebuilt = await Promise.all(
      runs
        .filter((run) => !known.has(run.id) && definition.businessKey!(run.event) === businessKey)
        .map((run) => this.fromRun(definition, run)),
    );
    return [...saved, ...rebuilt.filter((state) => state !== undefined)].sort(
      (a, b) => a.startedAt - b.startedAt,
    );
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

  private async fromRun(definition: SagaDefinition, run: SagaRunRecord): Promise<SagaState | undefined> {
    // A run that failed outside its steps (its function threw) has no saga state to show.
    if (run.status === 'failed') return undefined;
    const outcome =
      run.status === 'completed'
        ? (run.output as SagaOutcome)
        : run.status === 'cancelled'
          ? await this.cancellationOutcome(definition, run.id)
          : undefined;
    const waitingOn = (run.pending ?? [])
      .filter((work) => work.kind === 'sleep' || work.kind === 'wait')
      .map((work) => work.name ?? '');
    const progress = progressOf(definition, run.timeline, waitingOn);
    const businessKey = definition.businessKey?.(run.event);
    return {
      sagaId: definition.id,
      runId: run.id,
      ...(businessKey !== undefined ? { businessKey } : {}),
      status: outcome?.status ?? (run.status === 'cancelled' ? 'cancelled' : progress.status),
      startedSteps: progress.startedSteps,
      completedSteps: outcome?.completedSteps ?? progress.completedSteps,
      compensatedSteps: outcome?.compensatedSteps ?? progress.compensatedSteps,
      results: outcome?.results ?? progress.results,
      ...(outcome?.failure ? { failure: outcome.failure } : {}),
      compensationFailures: outcome?.compensationFailures ?? [],
      timings: progress.timings,
      startedAt: run.event.ts ?? run.createdAt,
      updatedAt: run.endedAt ?? run.createdAt,
      event: { name: run.event.name, data: run.event.data, id: run.event.id },
    };
  }

  /** A cancelled saga's compensations run in its companion function; its output is the outcome. */
  private async cancellationOutcome(
    definition: SagaDefinition,
    runId: string,
  ): Promise<SagaOutcome | undefined> {
    const companions = await this.runs.listRuns({
      functionId: this.functionId(`${definition.id}-cancellation`),
    });
    const companion = companions.find((run) => run.event.data.run_id === runId && run.status === 'completed');
    return companion?.output as SagaOutcome | undefined;
  }
}

type AttemptOutput = { ok?: boolean; value?: unknown; startedAt?: number; endedAt?: number };

/**
 * What a saga's memoized steps, and the steps it waits on, say about it; the step ids follow
 * `runSaga`'s naming.
 */
function progressOf(definition: SagaDefinition, timeline: SagaRunStep[], waitingOn: string[]) {
  const attemptOf = (name: string) => /^(.*?)(?:#(\d+))?$/.exec(name)!;
  const stepIdOf = (name: string) => attemptOf(name)[1]!.replace(/:retry-\d+$/, '');
  const started = new Set([...timeline.map((entry) => entry.name), ...waitingOn].map(stepIdOf));
  const startedSteps = definition.steps.filter((step) => started.has(step.id)).map((step) => step.id);
  const completedSteps: string[] = [];
  const results: Record<string, unknown> = {};
  const timings: SagaState['timings'] = {};
  const compensatedSteps: string[] = [];
  for (const entry of timeline) {
    const output = entry.output as AttemptOutput | null | undefined;
    if (entry.name.startsWith('compensate:')) {
      if (entry.kind === 'run' && output?.ok)
        compensatedSteps.push(stepIdOf(entry.name.slice('compensate:'.length)));
      continue;
    }
    const step = definition.steps.find((candidate) => candidate.id === stepIdOf(entry.name));
    if (!step || completedSteps.includes(step.id)) continue;
    const [, id, attempt] = attemptOf(entry.name);
    if (step.action.kind === 'run' && entry.kind === 'run' && output?.ok) {
      results[step.id] = output.value;
      timings[id!] = {
        startedAt: output.startedAt!,
        endedAt: output.endedAt!,
        attempts: Number(attempt ?? 1),
      };
    } else if (step.action.kind === 'sleep' && entry.kind === 'sleep') {
      results[step.id] = null;
    } else if (step.action.kind === 'waitForEvent' && entry.kind === 'waitForEvent' && output) {
      results[step.id] = output; // the event as received: a `map` of it runs in the saga only
    } else {
      continue;
    }
    completedSteps.push(step.id);
  }
  return {
    status: timeline.some((entry) => entry.name.startsWith('compensate:'))
      ? ('compensating' as const)
      : ('running' as const),
    startedSteps,
    completedSteps,
    compensatedSteps,
    results,
    timings,
  };
}
