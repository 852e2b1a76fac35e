import { randomUUID } from 'node:crypto';

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
}

/** Sends one Call Request to the serve endpoint, as an Inngest server does (checkpointing off). */
export async function callFunction(
  serveUrl: string,
  compositeFnId: string,
  payload: {
    event: Record<string, unknown>;
    steps?: Record<string, unknown>;
    runId?: string;
    attempt?: number;
  },
  headers: Record<string, string> = {},
): Promise<CallResult> {
  const steps = payload.steps ?? {};
  const body = {
    event: payload.event,
    events: [payload.event],
    steps,
    ctx: {
      run_id: payload.runId ?? `run-${randomUUID()}`,
      attempt: payload.attempt ?? 0,
      max_attempts: 4,
      disable_immediate_execution: false,
      use_api: false,
      stack: { stack: Object.keys(steps), current: Object.keys(steps).length },
    },
    version: 2,
  };
  const response = await fetch(`${serveUrl}?fnId=${encodeURIComponent(compositeFnId)}&stepId=step`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * Drives a function to completion the way an Inngest server does without checkpointing: each 206
 * reports the step it ran, whose result is memoized and fed back on the next request.
 */
export async function driveToCompletion(
  serveUrl: string,
  compositeFnId: string,
  event: Record<string, unknown>,
): Promise<{ output: unknown; requests: number; stepNames: string[] }> {
  const steps: Record<string, unknown> = {};
  const stepNames: string[] = [];
  const runId = `run-${randomUUID()}`;
  for (let requests = 1; requests <= 20; requests++) {
    const result = await callFunction(serveUrl, compositeFnId, { event, steps, runId });
    if (result.status === 200) return { output: result.body, requests, stepNames };
    if (result.status !== 206) throw new Error(`Unexpected ${result.status}: ${JSON.stringify(result.body)}`);
    for (const op of result.body as Array<{ id: string; op: string; name: string; data?: unknown }>) {
      if (op.op !== 'StepRun') throw new Error(`Unexpected op ${op.op}`);
      steps[op.id] = { type: 'data', data: op.data };
      stepNames.push(op.name);
    }
  }
  throw new Error('The function did not complete within 20 requests');
}
