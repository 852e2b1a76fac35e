import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardApi } from '../src/dashboard.api';
import { resolveDashboardOptions } from '../src/dashboard.options';
import { createRedactor } from '../src/redaction';
import { InngestRestRuns } from '../src/sources/inngest-rest-runs';
import { SagaIndex } from '../src/sources/saga-index';
import { completedSagaState } from './support/saga-state';

// A stand-in for Inngest's REST API on loopback, answering as its documentation shows.
describe("runs from Inngest's REST API", () => {
  let server: Server;
  let baseUrl: string;
  const seen: Array<{ url: string; authorization?: string }> = [];
  const run = {
    run_id: '01RUN',
    function_id: 'shop-checkout',
    status: 'Completed',
    event_id: '01EVENT',
    run_started_at: '2026-11-30T10:00:00.000Z',
    ended_at: '2026-11-30T10:00:02.000Z',
    output: { status: 'completed', email: 'ada@example.com' },
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url!, authorization: request.headers.authorization });
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.url === '/v1/runs/01RUN') return answer(200, { data: run });
      if (request.url === '/v1/runs/BUSY') return answer(429, { error: 'rate limited' });
      answer(404, { error: 'not found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a run by id with the signing key as a bearer token', async () => {
    const runs = new InngestRestRuns({ signingKey: 'signkey-test-abc', baseUrl });
    expect(await runs.getRun('01RUN')).toMatchObject({
      id: '01RUN',
      functionId: 'shop-checkout',
      status: 'completed',
      createdAt: Date.parse(run.run_started_at),
      endedAt: Date.parse(run.ended_at),
      timeline: [],
    });
    expect(seen.at(-1)).toEqual({ url: '/v1/runs/01RUN', authorization: 'Bearer signkey-test-abc' });
    expect(await runs.getRun('nope')).toBeUndefined();
    await expect(runs.getRun('BUSY')).rejects.toMatchObject({ status: 502 });
    await expect(runs.listRuns()).rejects.toMatchObject({ status: 501 });
  });

  it('answers 502 when the API cannot be reached, as for an error status', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const runs = new InngestRestRuns({ signingKey: 'signkey-test-abc', baseUrl: `http://127.0.0.1:${port}` });
    await expect(runs.getRun('01RUN')).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining('/v1/runs/01RUN'),
    });
  });

  const apiOnInngest = () => {
    const options = resolveDashboardOptions({
      guard: 'none',
      inngestApi: { signingKey: 'signkey-test-abc', baseUrl },
    });
    return new DashboardApi(
      {
        sagas: {
          registry: { list: () => [], get: () => undefined },
          store: {
            save: async () => {},
            get: async (runId) => completedSagaState({ runId }),
            findByBusinessKey: async () => [],
          },
        },
      },
      options,
      new SagaIndex(10),
      createRedactor(options.redact),
    );
  };

  it('links a saga to its run on Inngest when the app has no embedded engine, redacted', async () => {
    const api = apiOnInngest();
    expect(api.overview()).toMatchObject({ has: { runs: true }, runList: false });
    expect(((await api.saga('01RUN')) as { run: unknown }).run).toEqual({
      id: '01RUN',
      status: 'completed',
      functionId: 'shop-checkout',
    });
    expect(JSON.stringify(await api.run('01RUN'))).not.toContain('ada@example.com');
    await expect(api.runs({})).rejects.toMatchObject({ status: 501 });
  });

  it("shows a saga without its run when Inngest's API fails, saying why", async () => {
    const saga = (await apiOnInngest().saga('BUSY')) as { state: unknown; run?: unknown; runError?: string };
    expect(saga.state).toMatchObject({ runId: 'BUSY' });
    expect(saga.run).toBeUndefined();
    expect(saga.runError).toContain('answered 429');
  });

  it('needs a signing key and an http(s) address', () => {
    expect(() => resolveDashboardOptions({ guard: 'none', inngestApi: {} as never })).toThrow(
      /inngestApi.signingKey/,
    );
    expect(() =>
      resolveDashboardOptions({ guard: 'none', inngestApi: { signingKey: 'k', baseUrl: 'api.inngest.com' } }),
    ).toThrow(/inngestApi.baseUrl/);
  });
});
