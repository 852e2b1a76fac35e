import type { PGlite } from '@electric-sql/pglite';
import { DirectoryLease } from './lease/directory-lease';
import { processLocalLease } from './lease/store-lease';
import { type SqlClient, SqlRunStore } from './sql-run-store';

/** Options of `PgliteRunStore`. */
export interface PgliteRunStoreOptions {
  /** A PGlite instance the app owns (not closed by the store). */
  db?: PGlite;
  /** A data directory for a PGlite the store opens and owns; in memory when neither is given. */
  dataDir?: string;
  /** The schema the engine's tables live in. Default `inngest_engine`. */
  schema?: string;
}

/**
 * Run state in PGlite (PostgreSQL in WASM, in-process), in memory or in a data directory. One
 * engine at a time holds a directory: the store opens its PGlite only once it holds the
 * directory's lease, since two processes on one directory would corrupt it.
 */
export class PgliteRunStore extends SqlRunStore {
  /** Creates the store; `@electric-sql/pglite` is loaded on demand (an optional peer dependency). */
  static async create(options: PgliteRunStoreOptions = {}): Promise<PgliteRunStore> {
    let db = options.db;
    const owned = !db;
    const client: SqlClient = {
      query: (text, params) => {
        if (!db) throw new Error('The PGlite run store is not open: the engine opens it at start.');
        return db.query(text, params);
      },
    };
    const dataDir = options.dataDir ?? (options.db as { dataDir?: string } | undefined)?.dataDir;
    const onDisk = dataDir !== undefined && !dataDir.startsWith('memory://');
    return new PgliteRunStore(
      client,
      options.schema ?? 'inngest_engine',
      onDisk ? new DirectoryLease(dataDir) : processLocalLease,
      {
        open: async () => {
          if (db) return;
          const { PGlite } = await import('@electric-sql/pglite');
          db = new PGlite(options.dataDir);
          await db.waitReady;
        },
        close: async () => {
          if (owned) await db?.close();
        },
      },
    );
  }
}
