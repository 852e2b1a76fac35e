import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** A local HTTP server that was started, with its base URL and a way to stop it. */
export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0: any free port) and resolves once the server accepts connections. */
export async function listen(app: Express, port = 0, host = '127.0.0.1'): Promise<RunningServer> {
  const server: Server = app.listen(port, host);
  await once(server, 'listening');
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // keep-alive sockets of clients would hold close() open until they time out
        server.closeAllConnections();
      }),
  };
}
