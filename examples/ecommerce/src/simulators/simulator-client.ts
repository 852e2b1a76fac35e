import type { FaultSettings } from './fault-injection';

/** What a simulator answered: its status, headers and JSON body. */
export interface SimulatorAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * Sends a request to a simulator, for scripts and tests that drive one directly: `POST` with a JSON
 * body when there is one, `GET` otherwise, with an `Idempotency-Key` when `key` is given.
 */
export async function callSimulator(
  url: string,
  body?: unknown,
  options: { method?: string; key?: string } = {},
): Promise<SimulatorAnswer> {
  const response = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Changes a simulator's faults over its `PUT <url>/__control`; resolves with the settings now in force. */
export async function controlSimulator(url: string, faults: Partial<FaultSettings>): Promise<FaultSettings> {
  const answer = await callSimulator(`${url}/__control`, faults, { method: 'PUT' });
  if (answer.status !== 200) {
    throw new Error(`PUT ${url}/__control answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body as FaultSettings;
}
