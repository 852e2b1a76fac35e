/**
 * The shop's PostgreSQL could not be reached at start-up (refused, unknown host, timed out, login
 * refused, no such database): the shop does not start. Names the database's `host:port` and the
 * setting that points at it, so the fix is one look away.
 */
export class DatabaseConnectionError extends Error {
  readonly code = 'DATABASE_UNREACHABLE';

  constructor(
    /** `host:port` the shop tried. */
    readonly address: string,
    /** The setting that names the database. */
    readonly setting: string,
    /** What the driver reported. */
    override readonly cause: unknown,
  ) {
    super(
      `The shop's database (PostgreSQL at ${address}) could not be reached: ${describe(cause)}. ` +
        `Check ${setting} (is PostgreSQL running there, and does the database exist?), or unset it to run on PGlite.`,
    );
    this.name = 'DatabaseConnectionError';
  }
}

/** The driver's message; a refused connection to a host with several addresses reports an `AggregateError` with none. */
function describe(cause: unknown): string {
  const error = cause as { message?: string; code?: string; errors?: { message?: string }[] };
  return error.message || error.errors?.[0]?.message || error.code || String(cause);
}
