import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmbeddedEngine, EngineEventInput } from '../engine';
import type { RunStatus } from '../engine.types';

/** @internal The engine's HTTP face. */
export interface EngineHttpServer {
  url: string;
  close(): Promise<void>;
}

type EngineApi = Pick<EmbeddedEngine, 'ingest' | 'register' | 'checkpoint' | 'listRuns' | 'getRun'>;

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * @internal Serves what the SDK calls (event API, registration, checkpoints) and the engine's own
 * inspection API under `/_engine`.
 */
export async function startEngineServer(
  engine: EngineApi,
  options: { port?: number; host?: string },
): Promise<EngineHttpServer> {
  const server = createServer((req, res) => {
    route(engine, req, res).catch((error) => reply(res, 500, { message: (error as Error).message }));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(engine: EngineApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://engine');
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method ?? 'GET';

  if (method === 'POST' && /^\/e\/[^/]+$/.test(path)) {
    const body = await readJson(req);
    const events = (Array.isArray(body) ? body : [body]) as EngineEventInput[];
    const invalid = events.findIndex(
      (event) => !event || typeof event.name !== 'string' || event.name === '',
    );
    if (invalid >= 0) return reply(res, 400, { status: 400, error: `Event ${invalid} has no \`name\`.` });
    return reply(res, 200, { ids: await engine.ingest(events), status: 200 });
  }
  if (method === 'POST' && path === '/fn/register') {
    return reply(res, 200, await engine.register((await readJson(req)) as never));
  }
  const checkpoint = /^\/v1\/checkpoint\/([^/]+)\/async$/.exec(path);
  if (method === 'POST' && checkpoint) {
    // Never 409: the SDK treats it as a stale dispatch and fails the run for good.
    engine.checkpoint(decodeURIComponent(checkpoint[1]!), (await readJson(req)) as never);
    return reply(res, 200, {});
  }
  if (method === 'GET' && path === '/_engine/runs') {
    const status = url.searchParams.getAll('status') as RunStatus[];
    const runs = await engine.listRuns({
      functionId: url.searchParams.get('functionId') ?? undefined,
      status: status.length > 0 ? status : undefined,
    });
    return reply(res, 200, { runs });
  }
  const run = /^\/_engine\/runs\/([^/]+)$/.exec(path);
  if (method === 'GET' && run) {
    const found = await engine.getRun(decodeURIComponent(run[1]!));
    return found ? reply(res, 200, found) : reply(res, 404, { message: `No run ${run[1]}.` });
  }
  return reply(res, 404, { message: `The embedded engine does not serve ${method} ${path}.` });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('Request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
