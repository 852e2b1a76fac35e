import type { SagaDefinition, SagaState } from '@sagaline/saga';
import type { ShopAlert } from './shop-alert';

/** A memoized step of the saga's run, as the engine's timeline lists it. */
export interface RunStepView {
  /** The step's id in code: `charge-payment`, `charge-payment#3`, `compensate:charge-payment#2`. */
  name: string;
  /** What it returned: for a saga's attempt, `{ ok, name?, message? }`. */
  output?: unknown;
}

/** What a stall check needs besides the saga's state. */
export interface StallCheck {
  /** The saga's definition, to tell its own waits from a stall. */
  definition?: Pick<SagaDefinition, 'steps'>;
  /** The run's memoized steps, for the attempts of the stuck step and their last error. */
  timeline?: RunStepView[];
  /** Opens a step output the app sealed (the shop's encryption middleware); as it is by default. */
  readOutput?: (output: unknown) => unknown;
  now: number;
  stallAfterMs: number;
}

/**
 * The steps a saga is at: started and not completed (several in a parallel group); while it
 * compensates, the compensation in progress (the latest started step not yet compensated).
 */
export function currentSteps(state: SagaState, definition?: Pick<SagaDefinition, 'steps'>): string[] {
  if (state.status === 'compensating') {
    const done = new Set([...state.compensatedSteps, ...state.compensationFailures.map((f) => f.stepId)]);
    const next = [...state.startedSteps]
      .reverse()
      .find((id) => !done.has(id) && (definition?.steps.find((step) => step.id === id)?.compensate ?? true));
    return next ? [next] : [];
  }
  return state.startedSteps.filter((id) => !state.completedSteps.includes(id));
}

/**
 * Whether the saga waits at one of its own `waitForEvent` or `sleep` steps (a backorder waiting for
 * a restock): a wait it was written to do, ended by its own timeout, so no stall.
 */
function waitsByDesign(
  state: SagaState,
  steps: string[],
  definition?: Pick<SagaDefinition, 'steps'>,
): boolean {
  if (state.status !== 'running' || state.failure || steps.length === 0) return false;
  return steps.every((id) => {
    const kind = definition?.steps.find((step) => step.id === id)?.action.kind;
    return kind === 'waitForEvent' || kind === 'sleep';
  });
}

/**
 * The attempts of `stepId` (or of its compensation) in the run, and the error of the last one
 * that failed, as the saga memoized it (`{ ok: false, name, message }`). A sealed output is read
 * through `readOutput`; one that stays unreadable leaves only the count.
 */
export function attemptsOf(
  timeline: RunStepView[],
  stepId: string,
  compensation: boolean,
  readOutput: (output: unknown) => unknown = (output) => output,
): { attempts: number; lastError?: string } {
  const prefix = compensation ? `compensate:${stepId}` : stepId;
  const attempts = timeline.filter(
    (step) => step.name.startsWith(prefix) && /^(:retry-\d+)?(#\d+)?$/.test(step.name.slice(prefix.length)),
  );
  for (const attempt of [...attempts].reverse()) {
    const output = readOutput(attempt.output) as
      | { ok?: unknown; name?: unknown; message?: unknown }
      | undefined;
    if (output?.ok === false && typeof output.message === 'string') {
      return { attempts: attempts.length, lastError: `${output.name}: ${output.message}` };
    }
  }
  return { attempts: attempts.length };
}

/**
 * The alert for a saga that is running (or compensating) and has made no progress (its stored
 * state has not changed: retrying one step is no progress) for `stallAfterMs`; undefined when it
 * is not stalled. The key is the run and the time of its last progress: the same stall is one
 * alert however many scans see it, and a saga that moves on and sticks again raises a new one.
 */
export function stalledSagaAlert(state: SagaState, check: StallCheck): ShopAlert | undefined {
  if (state.status !== 'running' && state.status !== 'compensating') return undefined;
  const stuckForMs = check.now - state.updatedAt;
  if (stuckForMs < check.stallAfterMs) return undefined;
  const steps = currentSteps(state, check.definition);
  if (waitsByDesign(state, steps, check.definition)) return undefined;

  const compensating = state.status === 'compensating';
  const [step] = steps;
  const { attempts, lastError } = step
    ? attemptsOf(check.timeline ?? [], step, compensating, check.readOutput)
    : { attempts: 0, lastError: undefined };
  // after a pivot the saga records the failure and waits for an operator's `saga/retry`
  const failure =
    !compensating && state.failure ? `${state.failure.name}: ${state.failure.message}` : undefined;
  const error =
    failure ??
    lastError ??
    (attempts > 0
      ? `${attempts} attempt(s) of ${compensating ? 'its compensation' : step} so far, none succeeded`
      : 'no error recorded');
  const where =
    steps.length > 0 ? `${compensating ? 'compensating ' : 'at '}${steps.join(', ')}` : 'between steps';
  const subject = state.businessKey ? `order ${state.businessKey}` : `run ${state.runId}`;
  const tenantId = (state.event.data as { tenantId?: unknown }).tenantId;
  return {
    dedupeKey: `saga_stalled:${state.runId}:${state.updatedAt}`,
    kind: 'saga_stalled',
    severity: 'warning',
    summary: `Saga ${state.sagaId} (${subject}) has made no progress for ${Math.round(stuckForMs / 1000)} s, ${where}: ${error}`,
    sagaId: state.sagaId,
    runId: state.runId,
    ...(state.businessKey !== undefined ? { businessKey: state.businessKey } : {}),
    ...(typeof tenantId === 'string' ? { tenantId } : {}),
    step: steps.join(', ') || 'between steps',
    error,
    at: new Date(check.now).toISOString(),
    lastProgressAt: new Date(state.updatedAt).toISOString(),
  };
}
