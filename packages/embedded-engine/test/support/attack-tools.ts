import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listener that answers nothing useful and records every request it gets. */
export interface Trap {
  url: string;
  port: number;
  requests: Array<{ method: string; url: string; body: string }>;
  close(): Promise<void>;
}

/** Listens on a loopback port where nothing should ever arrive. */
export async function startTrap(): Promise<Trap> {
  const requests: Trap['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Sends a request with headers `fetch` will not forge (it always sets `Host` itself): the attack
 * where a sync `PUT` claims to be for another host.
 */
export function rawRequest(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
