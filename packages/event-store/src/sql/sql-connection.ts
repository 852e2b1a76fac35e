/** @internal What the SQL backend needs of a driver: `pg` and PGlite both fit behind it. */
export interface SqlExecutor {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** @internal */
export interface SqlConnection extends SqlExecutor {
  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T>;
  /** Closes what the adapter opened itself (not a pool or database the user passed in). */
  close(): Promise<void>;
}

/** @internal PostgreSQL error codes worth running a transaction again for. */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
