import type { PendingWork, RunRecord, SerializedError, StepTimelineEntry } from '../engine.types';
import type { RunHead, StoredStep } from '../store/run-store';

/** @internal Whether a step id is memoized or already waited for in a run. */
export function isKnownStep(run: RunRecord, id: string): boolean {
  if (id in run.steps) return true;
  return run.pending.some((work) => (work.kind === 'call' ? work.stepId === id : work.opId === id));
}

/** @internal Stores a step's result as the SDK expects it back, and closes its timeline entry. */
export function memoize(
  run: RunRecord,
  id: string,
  memo: unknown,
  entry: Omit<StepTimelineEntry, 'id' | 'endedAt'>,
  now: number,
): void {
  if (id in run.steps) return;
  run.steps[id] = memo;
  run.stack.push(id);
  run.timeline.push({ id, ...entry, endedAt: now });
}

/** @internal A stable key for a piece of pending work (its timer key). */
export function workKey(run: RunRecord, work: PendingWork): string {
  return `${run.id}:${work.kind}:${work.kind === 'call' ? work.stepId : work.opId}`;
}

/** @internal The timer key of a run's `timeouts` deadline. */
export function deadlineKey(run: RunRecord): string {
  return `${run.id}:deadline`;
}

/** @internal Turns whatever an SDK answered into a serialized error. */
export function toSerializedError(body: unknown, fallback: string): SerializedError {
  if (body && typeof body === 'object' && 'message' in body) {
    const error = body as SerializedError;
    return { ...error, name: error.name ?? 'Error', message: String(error.message) };
  }
  return { name: 'Error', message: typeof body === 'string' && body !== '' ? body : fallback };
}

/**
 * @internal The run less its steps, as a snapshot: what the engine changes in place later (its
 * pending work, the batch's event list) is copied; the rest it only ever replaces.
 */
export function headOf(run: RunRecord): RunHead {
  const { steps: _steps, stack: _stack, timeline: _timeline, ...head } = run;
  return { ...head, events: [...run.events], pending: run.pending.map((work) => ({ ...work })) };
}

/** @internal The run's steps from `from` on (to `to`), in the order they were memoized. */
export function stepsOf(run: RunRecord, from = 0, to = run.stack.length): StoredStep[] {
  const steps: StoredStep[] = [];
  for (let index = from; index < to; index++) {
    const id = run.stack[index]!;
    steps.push({ id, result: run.steps[id], entry: run.timeline[index]! });
  }
  return steps;
}

/** @internal A whole run from its head and its steps. */
export function assembleRun(head: RunHead, steps: readonly StoredStep[]): RunRecord {
  const run: RunRecord = { ...head, steps: {}, stack: [], timeline: [] };
  for (const step of steps) {
    run.steps[step.id] = step.result;
    run.stack.push(step.id);
    run.timeline.push(step.entry);
  }
  return run;
}
