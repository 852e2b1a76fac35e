import type { Client, ClientConfig } from 'pg';
import type { LeaseOptions } from '../run-store';
import { retryUntilHeld, type StoreLease } from './store-lease';

/**
 * @internal A session advisory lock on a connection of its own, held for the engine's lifetime.
 * PostgreSQL releases it the moment that session ends, so a killed engine's successor takes over
 * as soon as the server notices the dead connection.
 */
export class PostgresAdvisoryLease implements StoreLease {
  private client?: Client;
  private released = false;

  constructor(
    private readonly connect: () => Promise<Client>,
    private readonly key: string,
    private readonly describe: string,
  ) {}

  async acquire({ waitMs, onLost }: LeaseOptions): Promise<void> {
    const client = await this.connect();
    const lost = (error: Error) => {
      if (!this.released) onLost(error);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the lease connection closed')));
    try {
      await retryUntilHeld(
        async () => {
          const { rows } = await client.query<{ held: boolean }>(
            'SELECT pg_try_advisory_lock(hashtext($1)) AS held',
            [this.key],
          );
          return rows[0]?.held === true;
        },
        waitMs,
        this.describe,
      );
    } catch (error) {
      this.released = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  async release(): Promise<void> {
    this.released = true;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/** @internal Opens the lease's own connection with a pool's settings. */
export function leaseConnection(ClientClass: typeof Client, config: ClientConfig): () => Promise<Client> {
  return async () => {
    // Named, so that an operator sees in pg_stat_activity which session holds an engine's store.
    const client = new ClientClass({ ...config, application_name: 'sagaline-engine-lease' });
    await client.connect();
    return client;
  };
}
