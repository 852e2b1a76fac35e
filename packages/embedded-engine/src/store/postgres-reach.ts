import type { Client, ClientConfig } from 'pg';
import { EngineStoreConnectionError } from '../engine.errors';

/** How the store names itself in a connection error. */
const STORE = 'embedded engine PostgreSQL run store';

/**
 * @internal Wraps the store's first connection (the lease's, made when the engine starts) so that a
 * database that cannot be reached fails with `EngineStoreConnectionError`, naming the store, the
 * host and the option to check, instead of the driver's bare `connect ECONNREFUSED`. Only the
 * connect is wrapped: whatever fails there (refused, unknown host, timeout, login, no such
 * database) is about reaching the database.
 */
export function reachingConnect(
  connect: () => Promise<Client>,
  ClientClass: typeof Client,
  config: ClientConfig,
  option: 'pool' | 'connectionString',
): () => Promise<Client> {
  return async () => {
    try {
      return await connect();
    } catch (error) {
      throw new EngineStoreConnectionError(STORE, addressOf(ClientClass, config), option, error);
    }
  };
}

/** `host:port` as `pg` resolves it (connection string, settings, PGHOST/PGPORT, defaults); no connection is made. */
function addressOf(ClientClass: typeof Client, config: ClientConfig): string {
  const { host, port } = (
    new ClientClass(config) as unknown as { connectionParameters: { host: string; port: number } }
  ).connectionParameters;
  return `${host}:${port}`;
}
