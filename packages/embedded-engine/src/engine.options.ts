import type { Clock } from './clock';
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
}

/** @internal A logger that prints warnings and errors only. */
export const quietLogger: EngineLogger = {
  log: () => undefined,
  warn: (message) => console.warn(`[embedded-engine] ${message}`),
  error: (message) => console.error(`[embedded-engine] ${message}`),
};
