import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The parts of an Inngest server that receive out-of-band syncs (`POST /fn/register`) and events
 * (`POST /e/<key>`), so that dev-mode tests can check what the SDK registers and sends.
 */
export interface RegisterSink {
  url: string;
  registrations: Array<{
    url: string;
    appName: string;
    functions: Array<{ id: string; triggers: unknown[] }>;
  }>;
  /** Every event received, in order. */
  events: Array<{ name: string; data: unknown }>;
  close(): Promise<void>;
}

export async function startRegisterSink(): Promise<RegisterSink> {
  const registrations: RegisterSink['registrations'] = [];
  const events: RegisterSink['events'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.startsWith('/fn/register')) {
        registrations.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, modified: true }));
        return;
      }
      if (req.method === 'POST' && req.url?.startsWith('/e/')) {
        const received = JSON.parse(body) as RegisterSink['events'];
        events.push(...received);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ids: received.map(() => randomUUID()), status: 200 }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    registrations,
    events,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
