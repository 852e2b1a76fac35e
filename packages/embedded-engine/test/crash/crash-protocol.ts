import type { RunRecord, RunStatus, SerializedError } from '../../src';

/** One line of the side-effect log: a `step.run` callback that executed. */
export interface SideEffect {
  runId: string;
  /** `order`, `ship` or `label`. */
  fn: string;
  /** The step's name. */
  step: string;
  orderId: string;
  /** Fresh per execution; the step returns it, so the stored result names the execution it kept. */
  execId: string;
}

/** What the child prints on stdout, after `READY `, once the app is synced. */
export interface ReadyInfo {
  engineUrl: string;
  appUrl: string;
}

/** A run as `GET /crash/runs` returns it: what the checks read, not the whole state. */
export interface CrashRun {
  id: string;
  functionId: string;
  status: RunStatus;
  event: { id: string; name: string; data: Record<string, unknown> };
  invokedBy?: { runId: string; opId: string };
  output?: unknown;
  error?: SerializedError;
  pending: string[];
  timeline: Array<{ name: string; kind: string; output?: unknown }>;
}

/** @internal */
export function slimRun(run: RunRecord): CrashRun {
  return {
    id: run.id,
    functionId: run.functionId,
    status: run.status,
    event: { id: run.event.id, name: run.event.name, data: run.event.data },
    ...(run.invokedBy ? { invokedBy: run.invokedBy } : {}),
    ...(run.status === 'completed' ? { output: run.output } : {}),
    ...(run.error ? { error: run.error } : {}),
    pending: run.pending.map((work) => work.kind),
    timeline: run.timeline.map((step) => ({ name: step.name, kind: step.kind, output: step.output })),
  };
}
