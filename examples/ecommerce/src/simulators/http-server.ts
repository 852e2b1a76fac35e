import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local server that was started, with its base URL and a way to stop it. */
export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A simulator's port is taken, most often by simulators still running from an earlier start. */
export class SimulatorPortInUseError extends Error {
  readonly code = 'SIMULATOR_PORT_IN_USE';
  constructor(
    readonly service: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(
      `The ${service} simulator cannot listen on 127.0.0.1:${port}: the port is in use (simulators still ` +
        'running from an earlier start?). Stop what holds it, or set SIMULATORS_PORT to another first ' +
        'port (0 picks free ports).',
      { cause },
    );
    this.name = 'SimulatorPortInUseError';
  }
}

/** What `listen` needs: anything that starts a `node:net` server (an Express app, an SMTP server's). */
export interface Listener {
  listen(port: number, host: string): Server;
}

/**
 * Listens on `host:port` (port 0: any free port) and resolves once connections are accepted.
 * `release` runs after the server has closed, or when it could not listen: the service's ledger.
 */
export async function listen(
  app: Listener,
  options: { service: string; port?: number; host?: string; release?: () => void },
): Promise<RunningServer & { port: number }> {
  const { service, port = 0, host = '127.0.0.1', release = () => {} } = options;
  const server = app.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    release();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new SimulatorPortInUseError(service, port, error);
    }
    throw error;
  }
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    port: boundPort,
    url: `http://${host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          release();
          if (error) reject(error);
          else resolve();
        });
        // keep-alive sockets of clients would hold close() open until they time out
        server.closeAllConnections();
      }),
  };
}
