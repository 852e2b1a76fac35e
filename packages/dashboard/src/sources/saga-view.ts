import type { RunLike, SagaDefinitionLike, SagaStateLike } from './source.types';

/** One step or compensation of a saga's timeline. */
export interface TimelineEntry {
  /** A step of the saga, or the compensation of one. */
  kind: 'step' | 'compensation';
  /** The step id. */
  id: string;
  /** `pending`, `running`, `waiting`, `completed`, `failed` or `compensated`. */
  status: string;
  /** What the step does: `run`, `waitForEvent` or `sleep`. */
  action?: string;
  startedAt?: number;
  endedAt?: number;
  /** Tries so far. */
  attempts: number;
  /** The error of each failed try, oldest first. */
  errors: Array<{ name: string; message: string }>;
  /** Past this step, failures are retried forward, never compensated. */
  pivot?: boolean;
  /** Steps of one group run in parallel. */
  group?: string;
  /** What a waiting step waits for, from its definition (`event order.paid`, `sleep 1h`). */
  waitsFor?: string;
}

/** What the run waits for now (a retry's backoff, an event, a sleep). */
export interface CurrentWait {
  kind: string;
  name?: string;
  event?: string;
  until: number;
}

/** @internal A saga's page: its state, timeline, waits and lifecycle. */
export interface SagaView {
  state: SagaStateLike;
  steps: TimelineEntry[];
  compensations: TimelineEntry[];
  waits: CurrentWait[];
  lifecycle: Array<{ name: string; at: number }>;
  run?: { id: string; status: string; functionId: string };
  companionRunId?: string;
}

interface AttemptOutput {
  ok?: boolean;
  name?: string;
  message?: string;
}

/** @internal Puts a saga's state, definition and (when the embedded engine has it) its run side by side. */
export function buildSagaView(
  state: SagaStateLike,
  definition: SagaDefinitionLike | undefined,
  run: RunLike | undefined,
  companion: RunLike | undefined,
): SagaView {
  const timeline = [...(run?.timeline ?? []), ...(companion?.timeline ?? [])];
  const attemptsOf = (id: string) =>
    timeline.filter(
      (entry) => entry.name === id || (entry.name.startsWith(`${id}#`) && !entry.name.includes('#backoff')),
    );
  const errorsOf = (entries: RunLike['timeline']) =>
    entries.flatMap((entry) => {
      const output = entry.output as AttemptOutput | undefined;
      if (entry.error) return [{ name: entry.error.name, message: entry.error.message }];
      if (output && output.ok === false)
        return [{ name: output.name ?? 'Error', message: output.message ?? '' }];
      return [];
    });
  const waits: CurrentWait[] = (run?.status === 'running' ? run.pending : [])
    .filter((work) => work.kind !== 'call')
    .map((work) => ({
      kind: work.kind,
      ...(work.name ? { name: work.name } : {}),
      ...(work.event ? { event: work.event } : {}),
      until: work.dueAt,
    }));
  const waitingOn = (id: string) =>
    waits.some((wait) => wait.name === id || wait.name?.startsWith(`${id}#backoff`));

  const stepIds = definition?.steps.map((step) => step.id) ?? state.startedSteps;
  const steps = stepIds.map((id): TimelineEntry => {
    const step = definition?.steps.find((candidate) => candidate.id === id);
    const tries = attemptsOf(id);
    const timing = state.timings[id];
    const status = state.completedSteps.includes(id)
      ? 'completed'
      : state.failure?.stepId === id
        ? 'failed'
        : state.startedSteps.includes(id)
          ? waitingOn(id) || step?.action.kind === 'waitForEvent' || step?.action.kind === 'sleep'
            ? 'waiting'
            : 'running'
          : 'pending';
    const lastTry = tries.at(-1);
    return {
      kind: 'step',
      id,
      status,
      ...(step ? { action: step.action.kind } : {}),
      ...optional('startedAt', timing?.startedAt ?? tries[0]?.startedAt),
      ...optional(
        'endedAt',
        timing?.endedAt ?? (status === 'completed' || status === 'failed' ? lastTry?.endedAt : undefined),
      ),
      attempts: timing?.attempts ?? tries.length,
      errors: errorsOf(tries),
      ...(step?.pivot ? { pivot: true } : {}),
      ...(step?.group ? { group: step.group } : {}),
      ...optional('waitsFor', step ? waitDescription(step.action) : undefined),
    };
  });

  // compensations in the order they ran: the run's order when known, else the state's
  const order: string[] = [];
  for (const entry of timeline) {
    const match = /^compensate:([^#]+)/.exec(entry.name);
    if (match && !order.includes(match[1])) order.push(match[1]);
  }
  for (const id of [
    ...state.compensatedSteps,
    ...state.compensationFailures.map((failure) => failure.stepId),
  ])
    if (!order.includes(id)) order.push(id);
  const compensations = order.map((id): TimelineEntry => {
    const tries = attemptsOf(`compensate:${id}`);
    const failed = state.compensationFailures.some((failure) => failure.stepId === id);
    return {
      kind: 'compensation',
      id,
      status: state.compensatedSteps.includes(id) ? 'compensated' : failed ? 'failed' : 'running',
      ...optional('startedAt', tries[0]?.startedAt),
      ...optional('endedAt', tries.at(-1)?.endedAt),
      attempts: tries.length,
      errors: errorsOf(tries),
    };
  });

  const lifecycle = [{ name: 'started', at: state.startedAt }];
  if (state.failure)
    lifecycle.push({
      name: `failed at ${state.failure.stepId}: compensating`,
      at: failureTime(steps, state),
    });
  for (const entry of timeline)
    if (entry.name.startsWith('saga:'))
      lifecycle.push({
        // `saga:events:<hash>` is a batch of lifecycle events; other `saga:` steps name themselves
        name: entry.name.startsWith('saga:events:')
          ? 'sent its saga/* events'
          : entry.name.replace(/^saga:/, 'saga/'),
        at: entry.endedAt ?? entry.startedAt,
      });
  if (state.status !== 'running' && state.status !== 'compensating')
    lifecycle.push({ name: state.status, at: state.updatedAt });
  lifecycle.sort((a, b) => a.at - b.at);

  return {
    state,
    steps,
    compensations,
    waits,
    lifecycle,
    ...(run ? { run: { id: run.id, status: run.status, functionId: run.functionId } } : {}),
    ...(companion ? { companionRunId: companion.id } : {}),
  };
}

function waitDescription(action: SagaDefinitionLike['steps'][number]['action']): string | undefined {
  if (action.kind === 'waitForEvent')
    return `event ${action.event}${action.match ? ` matching ${action.match}` : ''}${action.if ? ` if ${action.if}` : ''}, for ${action.timeout}`;
  if (action.kind === 'sleep') return `sleep ${action.duration}`;
  return undefined;
}

function failureTime(steps: TimelineEntry[], state: SagaStateLike): number {
  return steps.find((step) => step.id === state.failure?.stepId)?.endedAt ?? state.updatedAt;
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
