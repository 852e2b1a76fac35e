import type { CircuitBreakerOptions, CircuitState } from '../breaker.options';

/**
 * A breaker's state in the shared store, with its version. Every transition in the store gives the
 * state a higher `epoch`; an instance takes a shared state as its own only when it is newer than
 * the one it holds, so a late answer can never undo a more recent transition.
 */
export interface SharedState {
  /** The state. */
  state: CircuitState;
  /** The state's version: higher for every later transition. 0 for a breaker the store has never seen. */
  epoch: number;
  /** When it opened, if open (the store's clock, ms since the epoch). */
  openedAt: number;
  /** The store's clock when it answered (ms since the epoch), to read `openedAt` on the instance's own clock. */
  now: number;
}

/** A decision of a shared store on one call. */
export interface SharedAdmission extends SharedState {
  /** Whether the call may go ahead. */
  allowed: boolean;
  /** Whether it is a half-open probe (holding a probe lease). */
  probe: boolean;
  /** When rejected: ms until probes are let through (-1 when forced open). */
  retryAfterMs: number;
}

/** Outcomes an instance reports: one call, or the batch it collected (hybrid mode). */
export interface SharedOutcome {
  /** Calls. */
  calls: number;
  /** Of which failed (errors that count). */
  failures: number;
  /** Of which were slow. */
  slow: number;
  /** A half-open probe's outcome (then `calls` is 1). */
  probe: boolean;
  /** The epoch the calls were admitted under: outcomes of an older state are dropped. */
  epoch: number;
}

/** A subscription to a breaker's transitions in the store. */
export interface StoreWatch {
  /** Settles once transitions are being delivered. */
  ready: Promise<void>;
  /** Stops the delivery. */
  close(): Promise<void>;
}

/**
 * State shared by every instance of the app (Redis). Every decision is atomic on the store's
 * side, on the store's clock, and every transition raises the state's `epoch`. The in-process state
 * of each breaker is the fallback when the store cannot be reached.
 */
export interface SharedCircuitStore {
  /** Decides one call, after recording `outcome` (outcomes not yet sent) when given. */
  admit(name: string, options: CircuitBreakerOptions, outcome?: SharedOutcome): Promise<SharedAdmission>;
  /**
   * The state and its epoch, by the cheapest read the store has (`openedAt` and `now` are 0): what
   * a shared-mode call is decided on while closed. Optional: without it, `admit` decides.
   */
  read?(name: string): Promise<SharedState>;
  /** Records outcomes and returns the resulting state; with no calls, just reads it. */
  record(name: string, options: CircuitBreakerOptions, outcome: SharedOutcome): Promise<SharedState>;
  /**
   * Opens the breaker for every instance because one instance's own calls tripped it, unless the
   * store has moved past `knownEpoch` (the state the instance tripped from) or is not closed.
   */
  trip(name: string, options: CircuitBreakerOptions, knownEpoch: number): Promise<SharedState>;
  /** Forces a state, or `reset` to closed with an empty window; returns the new state. */
  force(name: string, state: CircuitState | 'reset'): Promise<SharedState>;
  /**
   * Delivers every transition of the breaker in the store as it happens (pub/sub), so instances
   * learn of a trip without asking. Optional: without it, instances learn at their periodic read.
   */
  watch?(name: string, listener: (state: SharedState) => void): StoreWatch;
}

/** How a breaker uses a shared store. */
export interface SharedStoreConfig {
  /** The store. */
  store: SharedCircuitStore;
  /**
   * `shared`: every call is decided on the store's state (a plain read while closed), and outcomes
   * reach the store's window within 5 ms, in batches. `hybrid`: while closed, calls are decided
   * locally and outcomes are flushed every `flushIntervalMs`; a local trip opens the breaker for
   * every instance. In both modes half-open probes take leases in the store, and an open breaker
   * rejects locally until its open time ends. Default `shared`.
   */
  mode?: 'shared' | 'hybrid';
  /**
   * How often the shared state is read, in case a pushed transition was missed, and (hybrid mode)
   * outcomes are flushed (ms). Default 100.
   */
  flushIntervalMs?: number;
  /** A store call slower than this counts as the store being unreachable (ms). Default 250. */
  storeTimeoutMs?: number;
}
