import { createHash } from 'node:crypto';
import { format } from 'node:util';
import { Logger as NestLogger } from '@nestjs/common';
import type { GetStepTools, Inngest, Logger } from 'inngest';
import { DEFAULT_MAX_BREAKER_WAIT_MS } from './retry-delay';
import { runAttempts } from './saga.attempts';
import { assertRunnable } from './saga.definition';
import { SagaStepFailedError, SagaStepTimeoutError } from './saga.errors';
import { toFailure } from './saga.failure';
import {
  MemorySagaStateStore,
  type SagaState,
  type SagaStateSaveOptions,
  type SagaStateStore,
  type SagaWait,
} from './saga.state';
import {
  type RetryPolicy,
  SAGA_UNKNOWN_OUTPUT,
  type SagaContext,
  type SagaDefinition,
  type SagaEventPayload,
  type SagaFailure,
  type SagaOutcome,
  type SagaStepDefinition,
  type SagaStepTools,
} from './saga.types';

/** What `runSaga` needs from the Inngest function context. */
export interface SagaRunInput {
  event: { name: string; data: any; id?: string; ts?: number };
  /** The run's step tools: an Inngest handler's `step` as it is, or tools of the same shape. */
  step: SagaStepTools | GetStepTools<Inngest.Any>;
  runId: string;
  /** The run's logger; Nest's `Logger` (context `Saga`) when the context passed has none. */
  logger?: Logger;
}

const nestLogger = new NestLogger('Saga');
/** The run's logger when `runSaga` is given a context without one: Nest's, as the rest of the app logs. */
const nestSagaLogger: Logger = {
  info: (...args) => nestLogger.log(format(...args)),
  warn: (...args) => nestLogger.warn(format(...args)),
  error: (...args) => nestLogger.error(format(...args)),
  debug: (...args) => nestLogger.debug(format(...args)),
};

/** Options of `runSaga`. */
export interface SagaRunOptions {
  /** Where the saga's state is kept for queries and cancellation. Default: a process-wide memory store. */
  stateStore?: SagaStateStore;
}

const DEFAULT_RETRIES = 3;
const DEFAULT_COMPENSATION_ATTEMPTS = 3;
const defaultStateStore = new MemorySagaStateStore();

/** @internal The process-wide default state store. */
export function defaultSagaStateStore(): SagaStateStore {
  return defaultStateStore;
}

/**
 * Runs a saga inside an Inngest function: every step and every compensation is its own durable
 * step, so nothing runs twice once its result is stored. On a terminal failure the started steps
 * are compensated in reverse order of start. Usable inside any Inngest function.
 *
 * @example
 * ```ts
 * @InngestFunction({ id: 'checkout', triggers: { event: 'order/created' } })
 * checkout(ctx: InngestContext<'order/created'>) {
 *   return runSaga({ id: 'checkout', steps: [
 *     { id: 'reserve', action: { kind: 'run', run: () => this.stock.reserve(ctx.event.data) },
 *       compensate: (_c, reservation) => this.stock.release(reservation) },
 *     { id: 'charge', action: { kind: 'run', run: () => this.payments.charge(ctx.event.data) } },
 *   ] }, ctx);
 * }
 * ```
 *
 * @throws SagaDefinitionError when the definition cannot run as documented (no steps, duplicate
 * or reserved step ids, a compensation after a pivot, an unknown `lifecycleEvents`).
 */
export async function runSaga<TData>(
  definition: SagaDefinition<TData>,
  input: SagaRunInput,
  options: SagaRunOptions = {},
): Promise<SagaOutcome> {
  assertRunnable(definition);
  return new SagaExecution(definition, input, options.stateStore ?? defaultStateStore).run();
}

/**
 * @internal The state a saga's own code reaches on a run's memoized steps. The runner is run
 * against `step` tools that answer from the run's memo and leave a step that has not run pending
 * forever, so the state is the one the saga itself held at that point, computed by the same code.
 * Only pure parts of the saga run: step bodies are memoized or never reached; a `waitForEvent`
 * step's `map` runs again, as it does on every replay.
 */
export async function replaySagaState<TData>(
  definition: SagaDefinition<TData>,
  input: SagaRunInput,
): Promise<SagaState> {
  const execution = new SagaExecution(definition, input, discardingStore);
  // Memoized answers settle in microtasks; two turns of the event loop see them all through.
  const idle = new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  await Promise.race([execution.run(), idle]);
  return execution.snapshot();
}

const discardingStore: SagaStateStore = {
  save: async () => {},
  get: async () => undefined,
  findByBusinessKey: async () => [],
};

class SagaExecution<TData> {
  private readonly state: SagaState;
  private readonly step: SagaStepTools;
  /** Whether the happy path's events (`saga/started`, `step.completed`, `completed`) are sent. */
  private readonly progressEvents: boolean;
  /** `lifecycleEventData` of the triggering event, computed once. */
  private readonly eventData: Record<string, unknown> | undefined;
  private pivotPassed = false;
  /** Lifecycle events not yet sent; see `flush`. */
  private pending: SagaEventPayload[] = [];
  private readonly logger: Logger;

  constructor(
    private readonly definition: SagaDefinition<TData>,
    private readonly input: SagaRunInput,
    private readonly store: SagaStateStore,
  ) {
    // Inngest's tools are generic per call (their `run` returns the JSON of T): the same calls
    this.step = input.step as SagaStepTools;
    this.logger = input.logger ?? nestSagaLogger;
    this.progressEvents = definition.lifecycleEvents === 'all';
    this.eventData = extraEventData(definition, input.event, this.logger);
    const businessKey = definition.businessKey?.(input.event);
    this.state = initialSagaState(definition.id, input.runId, input.event, businessKey);
  }

  /** A copy of where the saga is. */
  snapshot(): SagaState {
    return structuredClone(this.state);
  }

  async run(): Promise<SagaOutcome> {
    this.emitProgress('saga:started', 'saga/started', {});
    const all = stages(this.definition.steps);
    for (const [index, stage] of all.entries()) {
      try {
        await allMembers(stage.map((step) => this.runStep(step)));
      } catch (error) {
        const failure = toFailure(error);
        if (this.pivotPassed) return this.stall(all.slice(index), failure);
        return this.compensate(failure);
      }
    }
    return this.complete();
  }

  private async runStep(definition: SagaStepDefinition<TData>, round = 0): Promise<void> {
    if (!this.state.startedSteps.includes(definition.id)) this.state.startedSteps.push(definition.id);
    // Deferrable: the saga saves again before it waits, fails or ends, so a durable store may
    // write the progress of steps that run back to back once (see SagaStateSaveOptions).
    await this.save({ deferrable: true });
    const output = await this.execute(definition, round);
    this.state.results[definition.id] = output;
    this.state.completedSteps.push(definition.id);
    if (definition.pivot) this.pivotPassed = true;
    // Saved with the next step's start or with the outcome: one write per step, not two.
    this.emitProgress(`saga:step.completed:${definition.id}`, 'saga/step.completed', {
      stepId: definition.id,
    });
  }

  private async execute(definition: SagaStepDefinition<TData>, round: number): Promise<unknown> {
    const { action } = definition;
    const id = round === 0 ? definition.id : `${definition.id}:retry-${round}`;
    if (action.kind === 'sleep') {
      await this.pause();
      return this.step.sleep(id, action.duration);
    }
    if (action.kind === 'waitForEvent') {
      await this.pause();
      const event = await this.step.waitForEvent(id, {
        event: action.event,
        timeout: action.timeout,
        ...(action.match ? { match: action.match } : {}),
        ...(action.if ? { if: action.if } : {}),
      });
      if (event !== null && action.map) return action.map(this.context(1), event);
      if (event === null) {
        throw new SagaStepFailedError(
          definition.id,
          'SagaWaitTimeoutError',
          `no "${action.event}" event within ${action.timeout}`,
        );
      }
      return event;
    }
    const retry = definition.retry ?? { attempts: (this.definition.retries ?? DEFAULT_RETRIES) + 1 };
    return this.attempt(
      id,
      retry,
      (attempt) => withTimeout(action.run(this.context(attempt)), definition),
      definition.isPermanent,
    );
  }

  /**
   * Tries `work` up to the policy's attempts, each try a durable step, with a durable sleep between
   * them (see `runAttempts`); a try an open breaker refused waits for its probe time and is not
   * counted. Each wait is in the saga's state (`waiting`) while it lasts.
   */
  private async attempt(
    id: string,
    retry: RetryPolicy,
    work: (attempt: number) => unknown,
    isPermanent: ((error: unknown) => boolean) | undefined,
  ): Promise<unknown> {
    const result = await runAttempts(this.step, {
      id,
      attempts: retry.attempts,
      policy: retry,
      maxBreakerWaitMs: maxBreakerWait(this.definition, retry),
      work,
      isPermanent: (error) => isPermanent?.(error) ?? (error as Error)?.name === 'NonRetriableError',
      beforeWait: (wait) => this.beginWait(wait),
      afterWait: (wait) => this.endWait(wait),
    });
    if (!result.ok) throw new SagaStepFailedError(id, result.name, result.message);
    this.state.timings[id] = {
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      attempts: result.attempts,
      ...(result.breakerWaits > 0
        ? { breakerWaits: result.breakerWaits, breakerWaitMs: result.breakerWaitMs }
        : {}),
    };
    return result.value;
  }

  private beginWait(wait: SagaWait): Promise<void> {
    addWait(this.state, wait);
    return this.pause();
  }

  private endWait(wait: SagaWait): void {
    removeWait(this.state, wait);
  }

  /**
   * After a pivot nothing is undone: wait for an operator's `saga/retry`, then run forward from the
   * stage that failed (`remaining`, that stage and the ones after it), each round skipping what
   * completed. A step tried before runs under a new id per round (`<id>:retry-<round>`), so its
   * work really runs again rather than being answered by an earlier round's stored failure.
   */
  private async stall(remaining: SagaStepDefinition<TData>[][], failure: SagaFailure): Promise<SagaOutcome> {
    for (let round = 1; ; round++) {
      delete this.state.waiting; // a parallel member's wait ends with its stage
      this.state.failure = failure;
      await this.save(); // an operator looking at the stalled saga sees why
      this.emit(`saga:stalled:${round}`, 'saga/stalled', { failure, round });
      await this.flush();
      const resume = await this.step.waitForEvent(`saga:operator-retry:${round}`, {
        event: 'saga/retry',
        timeout: this.definition.operatorTimeout ?? '7d',
        if: `async.data.runId == '${this.input.runId}'`,
      });
      if (!resume) return this.finish('stalled', 'saga/stalled.final');
      try {
        for (const stage of remaining) {
          const pending = stage.filter((step) => !this.state.completedSteps.includes(step.id));
          await allMembers(
            pending.map((step) => this.runStep(step, this.state.startedSteps.includes(step.id) ? round : 0)),
          );
        }
        delete this.state.failure;
        return this.complete();
      } catch (error) {
        failure = toFailure(error);
      }
    }
  }

  private async compensate(failure: SagaFailure): Promise<SagaOutcome> {
    delete this.state.waiting; // a parallel member's wait ends with its stage
    this.state.failure = failure;
    this.state.status = 'compensating';
    await this.save();
    this.emit('saga:compensating', 'saga/compensating', { failure });
    await this.flush(); // compensations may take a while (retries, backoff): say so now
    const outcome = await compensateStarted(
      this.definition,
      this.state,
      this.step,
      (attempt) => this.context(attempt),
      {
        // Best effort: a store that cannot be written must not stop what is being undone.
        beforeWait: async (wait) => {
          addWait(this.state, wait);
          await this.saveProgress();
          await this.flush();
        },
        afterWait: (wait) => this.endWait(wait),
        ended: () => this.saveProgress({ deferrable: true }),
      },
    );
    if (outcome === 'failed') {
      this.emit('saga:compensation.failed', 'saga/compensation.failed', this.operatorReport());
      return this.finish('compensation_failed'); // its event, with the operator report, is queued above
    }
    return this.finish('compensated', 'saga/compensated');
  }

  private operatorReport(): Record<string, unknown> {
    const pending = [...this.state.startedSteps]
      .reverse()
      .filter(
        (id) =>
          !this.state.compensatedSteps.includes(id) &&
          this.definition.steps.find((s) => s.id === id)?.compensate,
      );
    return {
      failure: this.state.failure,
      compensationFailures: this.state.compensationFailures,
      compensatedSteps: this.state.compensatedSteps,
      pendingCompensations: pending,
      results: this.state.results,
      event: this.state.event,
    };
  }

  private complete(): Promise<SagaOutcome> {
    this.emitProgress('saga:completed', 'saga/completed', { status: 'completed' });
    return this.finish('completed');
  }

  private async finish(status: SagaOutcome['status'], eventName?: string): Promise<SagaOutcome> {
    this.state.status = status;
    await this.save();
    if (eventName) this.emit(`saga:${status}`, eventName, { status });
    await this.flush();
    return outcomeOf(this.state);
  }

  private context(attempt: number): SagaContext<TData> {
    return {
      sagaId: this.definition.id,
      runId: this.input.runId,
      ...(this.state.businessKey !== undefined ? { businessKey: this.state.businessKey } : {}),
      event: this.input.event,
      results: { ...this.state.results },
      logger: this.logger,
      attempt,
    };
  }

  private async save(options?: SagaStateSaveOptions): Promise<void> {
    this.state.updatedAt = Date.now();
    await this.store.save(this.state, options);
  }

  /** A compensation's progress: stored if the store takes it, logged if not. */
  private saveProgress(options?: SagaStateSaveOptions): Promise<void> {
    return this.save(options).catch((error: unknown) =>
      this.logger.warn(
        `The compensation progress of saga run ${this.input.runId} could not be stored: ${(error as Error)?.message ?? error}. The compensations go on; their end is stored with the saga's outcome.`,
      ),
    );
  }

  /**
   * Before the saga waits (a sleep, a retry's backoff, an event): its state is stored and its
   * events are sent, since the run may now stop for long, and a cancellation meanwhile
   * compensates from the stored state.
   */
  private async pause(): Promise<void> {
    await this.save();
    await this.flush();
  }

  /** Queues a happy-path event, sent only with `lifecycleEvents: 'all'`. */
  private emitProgress(eventKey: string, name: string, data: Record<string, unknown>): void {
    if (this.progressEvents) this.emit(eventKey, name, data);
  }

  /** Queues a lifecycle event; its id (run and event) makes a second send of it a no-op. */
  private emit(eventKey: string, name: string, data: Record<string, unknown>): void {
    const base = {
      ...this.eventData,
      sagaId: this.definition.id,
      runId: this.input.runId,
      businessKey: this.state.businessKey,
    };
    this.pending.push({
      name,
      data: { ...base, ...data },
      id: `${this.input.runId}:${eventKey}`,
    } as SagaEventPayload);
  }

  /**
   * Sends the queued lifecycle events in one durable step. It runs before the saga waits (a
   * sleep, a backoff, an event) and when it ends, so the events go out as soon as the run stops
   * making progress, for the price of one step instead of one per event.
   *
   * The step id is made from the batch's event ids, not from a counter: members of a parallel
   * group flush in the order they reach a wait, which a replay may change, and a counter would
   * then pair a batch with another batch's memoized result and never send its events. With the
   * content as id, a batch composed differently on replay is a new step; the events it repeats
   * carry the same ids, so Inngest drops the copies.
   */
  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    // The run id prefix is left out: the same run always has it, and a test engine that gives each
    // replay a new run id must still find the batch memoized.
    const runPrefix = this.input.runId.length + 1;
    const batch = createHash('sha1')
      .update(events.map((event) => event.id!.slice(runPrefix)).join('\n'))
      .digest('hex')
      .slice(0, 12);
    await this.step.sendEvent(`saga:events:${batch}`, events);
  }
}

/** @internal A saga's state before its first step. */
export function initialSagaState(
  sagaId: string,
  runId: string,
  event: SagaRunInput['event'],
  businessKey?: string,
): SagaState {
  return {
    sagaId,
    runId,
    ...(businessKey !== undefined ? { businessKey } : {}),
    status: 'running',
    startedSteps: [],
    completedSteps: [],
    compensatedSteps: [],
    results: {},
    compensationFailures: [],
    timings: {},
    startedAt: event.ts ?? Date.now(),
    updatedAt: Date.now(),
    event: { name: event.name, data: event.data, id: event.id },
  };
}

/**
 * @internal The saga's `lifecycleEventData` for a run. The events are auxiliary: a function that
 * throws costs them their extra fields (and logs why), never the saga's compensations.
 */
export function extraEventData<TData>(
  definition: SagaDefinition<TData>,
  event: SagaRunInput['event'],
  logger: Pick<Logger, 'warn'>,
): Record<string, unknown> | undefined {
  try {
    return definition.lifecycleEventData?.(event);
  } catch (error) {
    logger.warn(
      `Saga "${definition.id}": lifecycleEventData threw (${(error as Error).message}); its events go out without those fields.`,
    );
    return undefined;
  }
}

/**
 * @internal Runs the compensations of every started step in reverse order of start, each a durable
 * step with its own retries. Shared by failures and by cancellation.
 */
export async function compensateStarted<TData>(
  definition: SagaDefinition<TData>,
  state: SagaState,
  step: SagaStepTools,
  context: (attempt: number) => SagaContext<TData>,
  progress?: CompensationProgress,
): Promise<'done' | 'failed'> {
  let failed = false;
  for (const stepId of [...state.startedSteps].reverse()) {
    const stepDefinition = definition.steps.find((candidate) => candidate.id === stepId);
    if (!stepDefinition?.compensate || state.compensatedSteps.includes(stepId)) continue;
    const completed = state.completedSteps.includes(stepId);
    if (!completed && stepDefinition.compensateOnFailure === false) continue;
    const output = completed ? state.results[stepId] : SAGA_UNKNOWN_OUTPUT;
    const policy = stepDefinition.compensation ?? {};
    const result = await runAttempts(step, {
      id: `compensate:${stepId}`,
      attempts: policy.retry?.attempts ?? DEFAULT_COMPENSATION_ATTEMPTS,
      policy: policy.retry,
      maxBreakerWaitMs: maxBreakerWait(definition, policy.retry),
      work: (attempt) => stepDefinition.compensate!(context(attempt), output),
      // an undo is tried until its attempts are spent, whatever the error says
      isPermanent: () => false,
      ...(progress ? { beforeWait: progress.beforeWait, afterWait: progress.afterWait } : {}),
    });
    if (result.ok) {
      state.compensatedSteps.push(stepId);
    } else {
      failed = true;
      state.compensationFailures.push({ stepId, name: result.name, message: result.message });
    }
    await progress?.ended();
    if (!result.ok && (policy.onFailure ?? 'continue') === 'halt') break;
  }
  return failed ? 'failed' : 'done';
}

/**
 * @internal How compensations report their progress to the saga's state: a wait (a backoff, an
 * open breaker) before it starts, and each compensation as it ends.
 */
export interface CompensationProgress {
  beforeWait(wait: SagaWait): Promise<void>;
  afterWait(wait: SagaWait): void;
  ended(): Promise<void>;
}

/** Puts a wait in the state, beside any other step's. */
function addWait(state: SagaState, wait: SagaWait): void {
  state.waiting = { ...state.waiting, [wait.stepId]: wait };
}

/** Takes a wait out of the state, unless a later wait of its step replaced it. */
function removeWait(state: SagaState, wait: SagaWait): void {
  if (state.waiting?.[wait.stepId]?.sleepId !== wait.sleepId) return;
  const { [wait.stepId]: _ended, ...rest } = state.waiting;
  if (Object.keys(rest).length > 0) state.waiting = rest;
  else delete state.waiting;
}

/** The budget of waits on refusals: the policy's, else the saga's, else 1 h. */
function maxBreakerWait(definition: SagaDefinition<any>, policy: RetryPolicy | undefined): number {
  return policy?.maxBreakerWaitMs ?? definition.maxBreakerWaitMs ?? DEFAULT_MAX_BREAKER_WAIT_MS;
}

/**
 * Waits for every member of a stage to end, then throws the first failure (in the stage's order):
 * a member must not be compensated, or retried by an operator, while another is still trying.
 */
async function allMembers(members: Promise<void>[]): Promise<void> {
  const ended = await Promise.allSettled(members);
  const failed = ended.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Consecutive steps sharing a `group` form one parallel stage. */
function stages<TData>(steps: SagaStepDefinition<TData>[]): SagaStepDefinition<TData>[][] {
  const result: SagaStepDefinition<TData>[][] = [];
  for (const step of steps) {
    const last = result.at(-1);
    if (step.group && last && last[0]!.group === step.group) last.push(step);
    else result.push([step]);
  }
  return result;
}

async function withTimeout<TData>(work: unknown, definition: SagaStepDefinition<TData>): Promise<unknown> {
  if (!definition.timeoutMs) return work;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new SagaStepTimeoutError(definition.id, definition.timeoutMs!)),
          definition.timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** @internal The outcome view of a state. */
export function outcomeOf(state: SagaState): SagaOutcome {
  return {
    status: state.status as SagaOutcome['status'],
    sagaId: state.sagaId,
    runId: state.runId,
    ...(state.businessKey !== undefined ? { businessKey: state.businessKey } : {}),
    completedSteps: [...state.completedSteps],
    compensatedSteps: [...state.compensatedSteps],
    results: { ...state.results },
    ...(state.failure ? { failure: state.failure } : {}),
    compensationFailures: [...state.compensationFailures],
  };
}
