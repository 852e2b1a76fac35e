import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inngest } from 'inngest';
import { serve } from 'inngest/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedEngine } from '../src';
import { startTrap } from './support/attack-tools';

/** An app without Nest whose Inngest client sends its calls to the engine through `engine.fetch`. */
async function startApp(engine: EmbeddedEngine) {
  const client = new Inngest({
    id: 'inproc',
    isDev: false,
    baseUrl: engine.baseUrl,
    signingKey: engine.signingKey,
    eventKey: engine.eventKey,
    fetch: engine.fetch,
  });
  const steps = client.createFunction(
    { id: 'three-steps', triggers: [{ event: 'inproc/go' }] },
    async ({ event, step }) => {
      const a = await step.run('one', () => `${event.data.n}-one`);
      const b = await step.run('two', () => `${a}-two`);
      return step.run('three', () => `${b}-three`);
    },
  );
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** The requests the app's serve endpoint received over HTTP, as `METHOD path`. */
  const received: string[] = [];
  server.on('request', (req) => received.push(`${req.method} ${req.url}`));
  server.on('request', serve({ client, functions: [steps], serveOrigin: origin, servePath: '/api/inngest' }));
  await engine.syncApp(`${origin}/api/inngest`);
  return {
    client,
    origin,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('engine.fetch, the in-process transport for an Inngest client in the same process', () => {
  let engine: EmbeddedEngine;
  let app: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    engine = await EmbeddedEngine.start({ retryBackoffScale: 0 });
    app = await startApp(engine);
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it("runs a checkpointed function with the client's events and checkpoints served in-process", async () => {
    const globalFetch = vi.spyOn(globalThis, 'fetch');
    app.received.length = 0;
    try {
      const { ids } = await app.client.send({ name: 'inproc/go', data: { n: 7 } });
      const run = await engine.waitForRun({ eventId: ids[0]! });
      expect(run.status).toBe('completed');
      expect(run.output).toBe('7-one-two-three');
      expect(run.timeline.map((step) => step.name)).toEqual(['one', 'two', 'three']);
      const urls = globalFetch.mock.calls.map(([input]) =>
        String(input instanceof Request ? input.url : input),
      );
      // The engine's Call Requests still reach the app over HTTP; nothing reached the engine so.
      expect(app.received.some((request) => request.startsWith('POST /api/inngest?'))).toBe(true);
      expect(urls.filter((url) => url.startsWith(engine.baseUrl))).toEqual([]);
    } finally {
      globalFetch.mockRestore();
    }
  });

  it('checks the same keys as over HTTP', async () => {
    const wrongKey = await engine.fetch(`${engine.baseUrl}/e/not-the-key`, {
      method: 'POST',
      body: JSON.stringify([{ name: 'inproc/go', data: { n: 1 } }]),
    });
    expect(wrongKey.status).toBe(401);
    const unsignedCheckpoint = await engine.fetch(`${engine.baseUrl}/v1/checkpoint/some-run/async`, {
      method: 'POST',
      body: JSON.stringify({ steps: [] }),
    });
    expect(unsignedCheckpoint.status).toBe(401);
    const inspection = await engine.fetch(`${engine.baseUrl}/_engine/runs`);
    expect(inspection.status).toBe(404);
    expect(await engine.listRuns({ functionId: 'three-steps', status: 'running' })).toEqual([]);
  });

  it('passes a request for any other origin to the global fetch', async () => {
    const trap = await startTrap();
    try {
      const response = await engine.fetch(`${trap.url}/elsewhere`, { method: 'POST', body: 'hello' });
      expect(response.status).toBe(200);
      expect(trap.requests).toEqual([{ method: 'POST', url: '/elsewhere', body: 'hello' }]);
    } finally {
      await trap.close();
    }
  });
});
