import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { EventStore, type EventStoreOptions } from '../event-store';
import { migrate } from './migrate';
import { checkSchemaName } from './schema-name';
import { SqlBackend } from './sql-backend';
import type { SqlConnection } from './sql-connection';

/** Options of `createPGliteEventStore`. */
export interface PGliteEventStoreOptions extends EventStoreOptions {
  /** A PGlite database the app already has (the store does not close it), or... */
  db?: PGlite;
  /**
   * ...where the store's own database keeps its data: a directory (created with its parents when
   * missing), or in memory when unset.
   */
  dataDir?: string;
  /** The database schema of the store's tables. Default `event_store`. */
  schema?: string;
}

/**
 * An event store on PGlite: PostgreSQL compiled to WebAssembly, in the process, in memory or in a
 * data directory. It runs the PostgreSQL adapter's SQL unchanged: the embedded default, not a mock.
 *
 * @example
 * ```ts
 * const store = await createPGliteEventStore({ dataDir: './.data/events' });
 * ```
 */
export async function createPGliteEventStore(options: PGliteEventStoreOptions = {}): Promise<EventStore> {
  const { db: given, dataDir, schema = 'event_store', ...storeOptions } = options;
  checkSchemaName(schema);
  const db = given ?? (await openPGlite(dataDir));
  const connection: SqlConnection = {
    query: (text, params) => db.query(text, params as unknown[]),
    transaction: (work) =>
      db.transaction((tx) => work({ query: (text, params) => tx.query(text, params as unknown[]) })),
    close: async () => {
      if (!given) await db.close();
    },
  };
  try {
    await migrate(connection, schema);
    return new EventStore(new SqlBackend('pglite', connection, schema), storeOptions);
  } catch (error) {
    await connection.close();
    throw error;
  }
}

async function openPGlite(dataDir: string | undefined): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  // PGlite creates its data directory but not the parents ('./.data/events' on a fresh app)
  if (dataDir && !/^[a-z]+:\/\//.test(dataDir)) await mkdir(dataDir, { recursive: true });
  return PGlite.create(dataDir ? { dataDir } : {});
}
