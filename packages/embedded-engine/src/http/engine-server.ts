import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmbeddedEngine, EngineEventInput } from '../engine';
import { EngineConfigurationError } from '../engine.errors';
import type { RunRecord, RunStatus } from '../engine.types';
import { hashSigningKey, secretsEqual } from '../security/keys';
import { type RedactOption, redactRun } from '../security/redaction';

/** @internal The engine's HTTP face. */
export interface EngineHttpServer {
  url: string;
  /** A `fetch` that serves requests to `url` in-process, through the same routes and checks. */
  fetch: typeof fetch;
  close(): Promise<void>;
}

/** What a route needs of a request, over a socket or in-process. */
interface EngineRequest {
  method: string;
  /** The path and query. */
  url: string;
  authorization?: string;
  text(): Promise<string>;
}

/** What a route answers: a JSON body. */
interface EngineReply {
  status: number;
  statusText?: string;
  headers?: Record<string, string>;
  body: unknown;
}

type EngineApi = Pick<EmbeddedEngine, 'ingest' | 'register' | 'checkpoint' | 'listRuns' | 'getRun'>;

/** @internal Where the engine listens and the secrets every request must prove. */
export interface EngineServerOptions {
  /** Default: an ephemeral port. */
  port?: number;
  /** Default `127.0.0.1`: only local processes reach the engine. */
  host?: string;
  /** The SDK's calls (registration, checkpoints) carry the hash of this key as a bearer token. */
  signingKey: string;
  /** `POST /e/<key>` must name this key. */
  eventKey: string;
  /** The inspection API is served only when set, and then to holders of the token. */
  inspection?: { token: string };
  /** What the inspection API hides; `DEFAULT_REDACTED_FIELDS` when unset. */
  redact?: RedactOption;
}

/** What a route needs besides the request: the engine and the secrets to check. */
interface Context {
  engine: EngineApi;
  options: EngineServerOptions;
  /** The bearer token the SDK sends in cloud mode: `hashSigningKey(signingKey)`. */
  sdkToken: string;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const REALTIME_REFUSAL =
  'Realtime publish is not run by the embedded engine: run the app against an Inngest server (INNGEST_DEV=1 or Inngest Cloud)';

/**
 * @internal Serves what the SDK calls (event API, registration, checkpoints) and the engine's own
 * inspection API under `/_engine`. Every route is authenticated before its body is read: the event
 * API by the event key in its path, the SDK's calls by the hashed signing key (the bearer token the
 * SDK sends to Inngest Cloud), the inspection API by its own token, and it is not served at all
 * unless enabled.
 */
export async function startEngineServer(
  engine: EngineApi,
  options: EngineServerOptions,
): Promise<EngineHttpServer> {
  if (options.inspection && !options.inspection.token) {
    throw new EngineConfigurationError(
      'inspection',
      'The inspection API needs a token: pass `inspection: { token }` with a secret string, or leave `inspection` unset to keep it off.',
    );
  }
  const context: Context = { engine, options, sdkToken: hashSigningKey(options.signingKey) };
  const server = createServer((req, res) => {
    const request: EngineRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      authorization: req.headers.authorization,
      text: () => readBody(req),
    };
    void answer(context, request).then((reply) => {
      const headers = { 'content-type': 'application/json', ...reply.headers };
      if (reply.statusText) res.writeHead(reply.status, reply.statusText, headers);
      else res.writeHead(reply.status, headers);
      res.end(JSON.stringify(reply.body));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    fetch: inProcessFetch(context, new URL(url).origin),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Routes a request, answering 500 with the message when a route throws. */
async function answer(context: Context, request: EngineRequest): Promise<EngineReply> {
  try {
    return await route(context, request);
  } catch (error) {
    return reply(500, { message: (error as Error).message });
  }
}

async function route(context: Context, req: EngineRequest): Promise<EngineReply> {
  const { engine, options } = context;
  const url = new URL(req.url, 'http://engine');
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method;

  const eventKey = /^\/e\/([^/]+)$/.exec(path);
  if (method === 'POST' && eventKey) {
    if (!secretsEqual(safeDecode(eventKey[1]!), options.eventKey)) {
      // `status` in the body is what the SDK reads; it then throws "Event key not found".
      return reply(401, {
        status: 401,
        error:
          "Event key not found: send events with the app's Inngest client, which holds the engine's event key.",
      });
    }
    const body = await readJson(req);
    const events = (Array.isArray(body) ? body : [body]) as EngineEventInput[];
    const invalid = events.findIndex(
      (event) => !event || typeof event.name !== 'string' || event.name === '',
    );
    if (invalid >= 0) return reply(400, { status: 400, error: `Event ${invalid} has no \`name\`.` });
    try {
      return reply(200, { ids: await engine.ingest(events), status: 200 });
    } catch (error) {
      // Refused as the server refuses (too large, too many): the sender's fault, so 400 with why.
      if ((error as { code?: string }).code !== 'ENGINE_EVENT_REJECTED') throw error;
      return reply(400, { status: 400, error: (error as Error).message });
    }
  }
  if (method === 'POST' && path === '/fn/register') {
    // The SDK reads `status` from the body, not the HTTP status: without it a refusal counts as a sync.
    if (!hasBearer(req, context.sdkToken)) return reply(401, unauthorizedSdkCall);
    return reply(200, await engine.register((await readJson(req)) as never));
  }
  const checkpoint = /^\/v1\/checkpoint\/([^/]+)\/async$/.exec(path);
  if (method === 'POST' && checkpoint) {
    if (!hasBearer(req, context.sdkToken)) return reply(401, unauthorizedSdkCall);
    // Never 409: the SDK treats it as a stale dispatch and fails the run for good. The reply waits
    // for the steps to be stored, since the SDK moves on to the next step as soon as it has it.
    await engine.checkpoint(safeDecode(checkpoint[1]!), (await readJson(req)) as never);
    return reply(200, {});
  }
  if (path === '/_engine' || path.startsWith('/_engine/')) return inspect(context, req, url, path);
  if (path.startsWith('/v1/realtime/')) {
    // The SDK reports only the status line of a refused publish, so the reason goes there.
    return { status: 501, statusText: REALTIME_REFUSAL, body: { error: REALTIME_REFUSAL } };
  }
  return reply(404, { message: `The embedded engine does not serve ${method} ${path}.` });
}

/** The inspection API: off unless enabled, then only for holders of the token, always redacted. */
async function inspect(
  { engine, options }: Context,
  req: EngineRequest,
  url: URL,
  path: string,
): Promise<EngineReply> {
  const method = req.method;
  if (!options.inspection) {
    return reply(404, {
      message: `The embedded engine does not serve ${method} ${path}: the inspection API is off. Start the engine with \`inspection: { token }\` to enable it.`,
    });
  }
  if (!hasBearer(req, options.inspection.token)) {
    return {
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="embedded-engine"' },
      body: { message: 'The inspection API needs `Authorization: Bearer <inspection token>`.' },
    };
  }
  const redact = (run: RunRecord) => redactRun(run, options.redact);
  if (method === 'GET' && path === '/_engine/runs') {
    const status = url.searchParams.getAll('status') as RunStatus[];
    const runs = await engine.listRuns({
      functionId: url.searchParams.get('functionId') ?? undefined,
      status: status.length > 0 ? status : undefined,
    });
    return reply(200, { runs: runs.map(redact) });
  }
  const run = /^\/_engine\/runs\/([^/]+)$/.exec(path);
  if (method === 'GET' && run) {
    const found = await engine.getRun(safeDecode(run[1]!));
    return found ? reply(200, redact(found)) : reply(404, { message: `No run ${run[1]}.` });
  }
  return reply(404, { message: `The embedded engine does not serve ${method} ${path}.` });
}

const unauthorizedSdkCall = {
  status: 401,
  error:
    "Unauthorized: calls to the embedded engine need `Authorization: Bearer <hashed signing key>`, which the app's Inngest client sends.",
};

/** Whether the request carries `Authorization: Bearer <expected>`, compared in constant time. */
function hasBearer(req: EngineRequest, expected: string): boolean {
  const token = /^Bearer (.+)$/i.exec(req.authorization ?? '')?.[1];
  return secretsEqual(token, expected);
}

/** A path segment decoded, or as given when it is not valid percent-encoding (it then matches nothing). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readJson(req: EngineRequest): Promise<unknown> {
  const text = await req.text();
  return text === '' ? {} : JSON.parse(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(status: number, body: unknown): EngineReply {
  return { status, body };
}

/**
 * A `fetch` that answers requests to the engine's own origin in-process, through the same routes
 * and the same key checks as over the socket, and passes any other request to the global `fetch`.
 * The Inngest client of an app in the same process can take it (`fetch` option): its events,
 * checkpoints and registrations then cost no loopback round trip.
 */
function inProcessFetch(context: Context, origin: string): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== origin) return fetch(input, init);
    init?.signal?.throwIfAborted();
    const request = input instanceof Request ? new Request(input, init) : undefined;
    const served = await answer(context, {
      method: (request?.method ?? init?.method ?? 'GET').toUpperCase(),
      url: `${url.pathname}${url.search}`,
      authorization: authorizationOf(request ? request.headers : init?.headers),
      text: async () => {
        const text = request ? await request.text() : await bodyText(init?.body);
        if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new Error('Request body too large');
        return text;
      },
    });
    return new Response(JSON.stringify(served.body), {
      status: served.status,
      ...(served.statusText ? { statusText: served.statusText } : {}),
      headers: { 'content-type': 'application/json', ...served.headers },
    });
  };
}

/** The `Authorization` header, read from a plain object as the SDK passes it without building `Headers`. */
function authorizationOf(headers: RequestInit['headers']): string | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers || Array.isArray(headers)) {
    return new Headers(headers).get('authorization') ?? undefined;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization') return String(value);
  }
  return undefined;
}

async function bodyText(body: RequestInit['body']): Promise<string> {
  if (body === undefined || body === null) return '';
  return typeof body === 'string' ? body : new Response(body).text();
}
