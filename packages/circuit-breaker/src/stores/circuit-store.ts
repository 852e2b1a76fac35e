import type { CircuitBreakerOptions, CircuitState } from '../breaker.options';

/** A decision of a shared store. */
export interface SharedAdmission {
  /** Whether the call may go ahead. */
  allowed: boolean;
  /** Whether it is a half-open probe (holding a probe lease). */
  probe: boolean;
  /** When rejected: ms until probes are let through (-1 when forced open). */
  retryAfterMs: number;
  /** The shared state. */
  state: CircuitState;
}

/** The shared state after an outcome was recorded. */
export interface SharedState {
  /** The state. */
  state: CircuitState;
  /** When it opened (the store's clock, ms since the epoch), if open. */
  openedAt: number;
}

/**
 * State shared by every instance of the app (Redis). Every decision is atomic on the store's
 * side, on the store's clock. The in-process state of each breaker is the fallback when the
 * store cannot be reached.
 */
export interface SharedCircuitStore {
  /** Decides one call. */
  admit(name: string, options: CircuitBreakerOptions): Promise<SharedAdmission>;
  /** Records outcomes (one call, or a batch in hybrid mode) and returns the resulting state. */
  record(
    name: string,
    options: CircuitBreakerOptions,
    outcome: { calls: number; failures: number; slow: number; probe: boolean },
  ): Promise<SharedState>;
  /** Forces a state, or `reset` to closed with an empty window. */
  force(name: string, state: CircuitState | 'reset'): Promise<void>;
}

/** How a breaker uses a shared store. */
export interface SharedStoreConfig {
  /** The store. */
  store: SharedCircuitStore;
  /**
   * `shared`: every call is decided and recorded on the store (exact, one round trip each way).
   * `hybrid`: while closed, calls are decided locally and outcomes are flushed in batches; other
   * states (probes included) go through the store. Default `shared`.
   */
  mode?: 'shared' | 'hybrid';
  /** Hybrid mode: how often outcomes are flushed (ms). Default 100. */
  flushIntervalMs?: number;
  /** A store call slower than this counts as the store being unreachable (ms). Default 250. */
  storeTimeoutMs?: number;
}
