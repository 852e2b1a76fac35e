import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { bodyTooLargeMessage, type ServeEndpoint } from './serve-handler';

interface ExpressRequest extends IncomingMessage {
  path: string;
  body?: unknown;
  rawBody?: Buffer;
}
interface ExpressLayerStack {
  stack: unknown[];
}
interface ExpressApp {
  use(handler: (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void) => void): void;
  router?: ExpressLayerStack;
  _router?: ExpressLayerStack;
}

const stripTrailingSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/**
 * @internal Mounts the endpoint on an Express app, ahead of every other middleware: Nest's JSON
 * parser (100kb by default) would otherwise reject large Call Requests before they reach it, and
 * the raw bytes are kept for signature checks.
 */
export function mountExpressEndpoint(app: ExpressApp, endpoint: ServeEndpoint): void {
  app.use((req, res, next) => {
    if (stripTrailingSlash(req.path) !== endpoint.path) return next();
    void handle(req, res, endpoint).catch(next);
  });
  const router = app.router ?? app._router;
  if (router) router.stack.unshift(router.stack.pop());
}

async function handle(req: ExpressRequest, res: ServerResponse, endpoint: ServeEndpoint): Promise<void> {
  if (req.method === 'POST' || req.method === 'PUT') {
    try {
      const raw = await getRawBody(req, { limit: endpoint.bodyLimit });
      req.rawBody = raw;
      req.body = raw.length === 0 ? undefined : raw.toString('utf8');
    } catch (error) {
      const status = (error as { status?: number }).status ?? 400;
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      const message = status === 413 ? bodyTooLargeMessage(endpoint.bodyLimit) : (error as Error).message;
      res.end(JSON.stringify({ message }));
      return;
    }
  }
  await endpoint.handler()(req, res);
  endpoint.onHandled(req.method ?? 'GET', res.statusCode);
}
