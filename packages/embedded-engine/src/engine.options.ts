import type { Clock } from './clock';
import type { RunRecord } from './engine.types';
import type { RunStore } from './store/run-store';

/** A logger with Nest's `LoggerService` shape (Nest's `Logger` fits). */
export interface EngineLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Options of `EmbeddedEngine.start()`. */
export interface EmbeddedEngineOptions {
  /** Where runs are kept: memory (default), `PostgresRunStore` or `PgliteRunStore`. */
  store?: RunStore;
  /** Port to listen on (127.0.0.1). Default: an ephemeral port. */
  port?: number;
  /** Host to listen on. Default `127.0.0.1`. */
  host?: string;
  /** The clock for sleeps, waits, retries and crons; a `ManualClock` in tests. */
  clock?: Clock;
  /**
   * Multiplies the retry schedule (Inngest's: 15 s, 30 s, 1 min, ... plus up to 30 s of jitter).
   * `0.001` turns a 15 s backoff into about 15 ms for tests; `0` retries at once. A `retry-after`
   * from the app (`RetryAfterError`) is not scaled. Default `1`.
   */
  retryBackoffScale?: number;
  /**
   * Checkpointing, as Inngest Cloud and the Dev Server do it: the SDK runs several steps in one
   * request and reports them to the engine's checkpoint API. `false`: the classic protocol, one
   * step per request. Default `true`.
   */
  checkpointing?: boolean;
  /** Where the engine logs; silent except for warnings and errors when unset. */
  logger?: EngineLogger;
  /** The app id, used to resolve short function ids in inspection. Optional. */
  appId?: string;
  /**
   * The key that signs every Call Request (`X-Inngest-Signature`) and that the SDK's calls to the
   * engine (registration, checkpoints) must prove with its hash. Inngest's format,
   * `signkey-<env>-<hex>`. Default: a fresh random key per process, which the Nest binding hands to
   * its client, so the serve endpoint verifies signatures exactly as in cloud mode.
   */
  signingKey?: string;
  /** The key `POST /e/<key>` must carry. Default: a fresh random key per process. */
  eventKey?: string;
  /**
   * The inspection API (`GET /_engine/runs`, `GET /_engine/runs/:id`): off unless given, and then
   * every request needs `Authorization: Bearer <token>`.
   */
  inspection?: { token: string };
  /**
   * What the inspection API and the engine's logs hide: a list of field names whose values are
   * replaced by `"[redacted]"` wherever they appear (event data, outputs, step results, errors),
   * or a function that returns the run as it may be shown. Default: {@link DEFAULT_REDACTED_FIELDS}.
   */
  redact?: readonly string[] | ((run: RunRecord) => RunRecord);
  /**
   * How long `start()` waits for another engine's lease on the same store (PostgreSQL schema or
   * PGlite directory) before refusing with `EngineLeaseError`. The wait covers a crashed
   * predecessor whose lock the database has not yet released; `Infinity` makes this engine a
   * standby that takes over when the holder dies. Default `10_000`.
   */
  leaseWaitMs?: number;
  /**
   * How many Call Requests may be in flight to the app at once, across all runs. More wait their
   * turn in the engine (a function's own `concurrency` applies first). Without a bound, a burst of
   * thousands of runs sends thousands of requests the app can only queue, each signed when sent,
   * until their signatures expire (the SDK accepts five minutes). Default `64`.
   */
  maxCallsInFlight?: number;
}

/** Field names redacted from the inspection API and logs unless `redact` says otherwise. */
export const DEFAULT_REDACTED_FIELDS: readonly string[] = [
  'password',
  'secret',
  'token',
  'cardToken',
  'paymentToken',
  'authorization',
  'email',
];

/** @internal A logger that prints warnings and errors only. */
export const quietLogger: EngineLogger = {
  log: () => undefined,
  warn: (message) => console.warn(`[embedded-engine] ${message}`),
  error: (message) => console.error(`[embedded-engine] ${message}`),
};
