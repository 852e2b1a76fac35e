import { NonRetriableError, RetryAfterError } from 'inngest';
import { getAsyncCtx } from 'inngest/experimental';
import { CircuitOpenError, CircuitTimeoutError } from './breaker.errors';
import type { CircuitBreakerOptions, CircuitState } from './breaker.options';
import { type Admission, BreakerCore } from './breaker-core';
import { coarseNow } from './coarse-clock';
import type { SharedCircuitStore, SharedStoreConfig } from './stores/circuit-store';

/** How a call ended, for metrics. */
export type CallOutcome = 'success' | 'failure' | 'ignored' | 'rejected' | 'timeout';

/** A state change of a breaker. */
export interface CircuitStateChange {
  /** The breaker. */
  name: string;
  /** The state it left. */
  from: CircuitState;
  /** The state it entered. */
  to: CircuitState;
  /** When (ms since the epoch). */
  at: number;
}

/** What a breaker reports about itself. */
export interface CircuitSnapshot {
  /** The breaker's name. */
  name: string;
  /** Its state as this instance sees it. */
  state: CircuitState;
  /** When it opened, if open (ms since the epoch). */
  openedAt: number;
  /** When it lets probes through, if open (ms since the epoch). */
  probeAt: number;
  /** Whether the shared store is unreachable and local state decides. */
  degraded: boolean;
  /** The sliding window's totals (this instance). */
  stats: { calls: number; failures: number; slowCalls: number; failureRate: number; slowCallRate: number };
}

/** Per-call options of `execute`. */
export interface ExecuteOptions<T> {
  /** Answers instead of throwing when the breaker rejects the call or the call fails. */
  fallback?: (error: unknown) => T | Promise<T>;
}

/**
 * What a breaker is wired to by its owner. `CircuitBreakerService` fills these in; a breaker
 * built by hand (outside Nest) passes what it needs.
 */
export interface CircuitBreakerHooks {
  /** Shared state (Redis), decided per call or in hybrid mode. Default: in this process only. */
  shared?: SharedStoreConfig;
  /** The clock, in ms since the epoch. Default: a 5 ms coarse clock; tests pass a manual one. */
  now?: () => number;
  /** Called on every state transition. */
  onStateChange?: (change: CircuitStateChange) => void;
  /** Called with the outcome of every call (metrics). */
  onCall?: (outcome: CallOutcome) => void;
  /** Called when the shared store is unreachable and the breaker falls back to local state. */
  warn?: (message: string) => void;
}

const STORE_RETRY_MS = 5_000;

/**
 * One circuit breaker. In memory by default; with a shared store, every instance of the app
 * decides on the failures of all of them. Called inside an Inngest function, a rejection becomes
 * Inngest's `RetryAfterError` (retry once the breaker half-opens) and a permanent error becomes
 * `NonRetriableError`; elsewhere a rejection is a `CircuitOpenError`.
 */
export class CircuitBreaker {
  private readonly core: BreakerCore;
  private readonly now: () => number;
  private readonly store?: SharedCircuitStore;
  private readonly hybrid: boolean;
  private readonly onCall?: (outcome: CallOutcome) => void;
  private sharedOpenedAt = 0;
  private storeDownUntil = 0;
  private pending = { calls: 0, failures: 0, slow: 0 };
  private flushTimer?: NodeJS.Timeout;

  constructor(
    /** The breaker's name. */
    readonly name: string,
    /** Its resolved options. */
    readonly options: CircuitBreakerOptions,
    private readonly hooks: CircuitBreakerHooks = {},
  ) {
    this.now = hooks.now ?? coarseNow;
    this.core = new BreakerCore(options, ({ from, to }) =>
      hooks.onStateChange?.({ name, from, to, at: this.now() }),
    );
    this.store = hooks.shared?.store;
    this.onCall = hooks.onCall;
    this.hybrid = hooks.shared?.mode === 'hybrid';
    if (this.store && this.hybrid) {
      this.flushTimer = setInterval(() => void this.flush(), hooks.shared?.flushIntervalMs ?? 100);
      this.flushTimer.unref();
    }
  }

  /** The state as this instance sees it. */
  get state(): CircuitState {
    return this.core.state;
  }

  /**
   * Runs `fn` through the breaker. `fn` gets an `AbortSignal` that fires on `timeoutMs`.
   *
   * @example
   * ```ts
   * const receipt = await breaker.execute((signal) => gateway.charge(card, { signal }));
   * ```
   */
  async execute<T>(fn: (signal?: AbortSignal) => T | Promise<T>, options?: ExecuteOptions<T>): Promise<T> {
    const started = this.now();
    const admission =
      this.store === undefined || this.usesLocalDecision(started)
        ? this.core.admit(started)
        : await this.sharedAdmit();
    if (!admission.allowed) return this.reject(admission.retryAfterMs, options);
    let result: T;
    try {
      result =
        this.options.timeoutMs === undefined
          ? await fn()
          : await this.withTimeout(fn, this.options.timeoutMs);
    } catch (error) {
      return this.failed(error, started, admission.probe, options);
    }
    const ended = this.now();
    if (this.store === undefined) this.core.record(false, ended - started, admission.probe, ended);
    else this.recordShared(false, ended - started, admission.probe, ended);
    this.onCall?.('success');
    return result;
  }

  private async failed<T>(
    error: unknown,
    started: number,
    probe: boolean,
    options?: ExecuteOptions<T>,
  ): Promise<T> {
    const ended = this.now();
    const counts = error instanceof CircuitTimeoutError || (this.options.isFailure?.(error) ?? true);
    if (!counts) {
      if (probe) this.core.releaseProbe();
    } else if (this.store === undefined) {
      this.core.record(true, ended - started, probe, ended);
    } else {
      this.recordShared(true, ended - started, probe, ended);
    }
    this.onCall?.(error instanceof CircuitTimeoutError ? 'timeout' : counts ? 'failure' : 'ignored');
    if (options?.fallback) return options.fallback(error);
    throw await this.translate(error);
  }

  /** Forces the breaker open: every call is rejected until `reset()` or `forceClosed()`. */
  async forceOpen(): Promise<void> {
    this.core.transition('forced_open', this.now());
    await this.store?.force(this.name, 'forced_open').catch((error) => this.storeFailed(error));
  }

  /** Forces the breaker closed: every call goes through and nothing is counted. */
  async forceClosed(): Promise<void> {
    this.core.transition('forced_closed', this.now());
    await this.store?.force(this.name, 'forced_closed').catch((error) => this.storeFailed(error));
  }

  /** Back to closed, with an empty window. */
  async reset(): Promise<void> {
    this.core.transition('closed', this.now());
    await this.store?.force(this.name, 'reset').catch((error) => this.storeFailed(error));
  }

  /** The state, when probes start, and the window's totals. */
  snapshot(): CircuitSnapshot {
    const openedAt = this.core.state === 'open' ? Math.max(this.core.openedAt, this.sharedOpenedAt) : 0;
    return {
      name: this.name,
      state: this.core.state,
      openedAt,
      probeAt: openedAt ? openedAt + this.options.waitDurationInOpenState : 0,
      degraded: this.storeDownUntil > this.now(),
      stats: this.core.stats(),
    };
  }

  /** Stops the hybrid flush timer (after a last flush). */
  async close(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flush();
  }

  private usesLocalDecision(now: number): boolean {
    if (this.storeDownUntil > now) return true;
    return this.hybrid && (this.core.state === 'closed' || this.core.state === 'forced_closed');
  }

  private async sharedAdmit(): Promise<Admission> {
    try {
      const admission = await this.withStoreTimeout(this.store!.admit(this.name, this.options));
      this.adopt(
        admission.state,
        admission.state === 'open'
          ? this.now() - (this.options.waitDurationInOpenState - admission.retryAfterMs)
          : 0,
      );
      return admission;
    } catch (error) {
      this.storeFailed(error);
      return this.core.admit(this.now());
    }
  }

  private recordShared(failed: boolean, durationMs: number, probe: boolean, now: number): void {
    if (!this.store || this.storeDownUntil > now) {
      this.core.record(failed, durationMs, probe, now);
      return;
    }
    const slow = durationMs >= this.options.slowCallDurationThreshold;
    if (this.hybrid && !probe) {
      this.core.record(failed, durationMs, false, now);
      this.pending.calls++;
      if (failed) this.pending.failures++;
      if (slow) this.pending.slow++;
      return;
    }
    void this.withStoreTimeout(
      this.store.record(this.name, this.options, {
        calls: 1,
        failures: failed ? 1 : 0,
        slow: slow ? 1 : 0,
        probe,
      }),
    ).then(
      (shared) => this.adopt(shared.state, shared.openedAt),
      (error) => {
        this.storeFailed(error);
        this.core.record(failed, durationMs, probe, now);
      },
    );
  }

  private async flush(): Promise<void> {
    // Runs even with nothing to report: the answer carries the state the other instances caused.
    if (!this.store || this.storeDownUntil > this.now()) return;
    const batch = this.pending;
    this.pending = { calls: 0, failures: 0, slow: 0 };
    try {
      const shared = await this.withStoreTimeout(
        this.store.record(this.name, this.options, { ...batch, probe: false }),
      );
      this.adopt(shared.state, shared.openedAt);
    } catch (error) {
      this.storeFailed(error);
    }
  }

  /** Takes the shared state as this instance's own. */
  private adopt(state: CircuitState, openedAt: number): void {
    if (state === this.core.state) return;
    this.core.transition(state, openedAt || this.now());
    if (state === 'open') this.sharedOpenedAt = openedAt;
  }

  private storeFailed(error: unknown): void {
    const wasUp = this.storeDownUntil <= this.now();
    this.storeDownUntil = this.now() + STORE_RETRY_MS;
    if (wasUp) {
      this.hooks.warn?.(
        `Circuit "${this.name}": the shared state store is unreachable (${(error as Error)?.message}); deciding on local state for ${STORE_RETRY_MS / 1000} s.`,
      );
    }
  }

  private async reject<T>(retryAfterMs: number, options?: ExecuteOptions<T>): Promise<T> {
    this.onCall?.('rejected');
    const error = new CircuitOpenError(this.name, this.core.state, retryAfterMs);
    if (options?.fallback) return options.fallback(error);
    if (retryAfterMs >= 0 && (await insideInngest())) {
      const jitter = 1 + Math.random() * (this.options.retryJitter ?? 0.1);
      throw new RetryAfterError(error.message, Math.ceil(Math.max(retryAfterMs, 1) * jitter), {
        cause: error,
      });
    }
    throw error;
  }

  private async translate(error: unknown): Promise<unknown> {
    if (this.options.isPermanent?.(error) && (await insideInngest())) {
      return new NonRetriableError((error as Error)?.message ?? String(error), { cause: error });
    }
    return error;
  }

  private async withTimeout<T>(fn: (signal?: AbortSignal) => T | Promise<T>, timeoutMs: number): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve(fn(controller.signal)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // Rejected first, so that a call that settles on abort cannot win the race.
            reject(new CircuitTimeoutError(this.name, timeoutMs));
            controller.abort();
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private withStoreTimeout<T>(operation: Promise<T>): Promise<T> {
    const timeoutMs = this.hooks.shared?.storeTimeoutMs ?? 250;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      operation,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

/** Whether the code runs inside an Inngest function execution (its async context). */
async function insideInngest(): Promise<boolean> {
  try {
    return Boolean((await getAsyncCtx())?.execution);
  } catch {
    return false;
  }
}
