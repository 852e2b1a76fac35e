import { CircuitOpenError, CircuitTimeoutError } from './breaker.errors';
import type { CircuitBreakerOptions, CircuitState } from './breaker.options';
import { BreakerCore } from './breaker-core';
import { coarseNow } from './coarse-clock';
import { failureError, rejectionError } from './inngest-errors';
import { SharedStateSync } from './shared-state-sync';
import type { SharedStoreConfig } from './stores/circuit-store';

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
  /** When it opened, if open (ms since the epoch, this instance's clock). */
  openedAt: number;
  /** When it lets probes through, if open (ms since the epoch, this instance's clock). */
  probeAt: number;
  /** Whether the shared store is unreachable and local state decides. */
  degraded: boolean;
  /** The sliding window's totals (this instance). */
  stats: { calls: number; failures: number; slowCalls: number; failureRate: number; slowCallRate: number };
  /** Calls by outcome since the breaker was created (this instance): what the metrics report. */
  totals: Record<CallOutcome, number>;
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
  /**
   * Called with the outcome of every call. Costs a call per call: for counts, read
   * `snapshot().totals` when they are needed (as the metrics do at scrape time).
   */
  onCall?: (outcome: CallOutcome) => void;
  /** Called when the shared store is unreachable and the breaker falls back to local state. */
  warn?: (message: string) => void;
}

interface Settlers {
  started: number;
  epoch: number;
  succeeded: () => void;
  failed: (error: unknown) => void;
}

/**
 * One circuit breaker. In memory by default; with a shared store, every instance of the app
 * decides on the failures of all of them. Called inside an Inngest function, a rejection becomes
 * Inngest's `RetryAfterError` (retry once the breaker half-opens) and a permanent error becomes
 * `NonRetriableError`; elsewhere a rejection is a `CircuitOpenError`.
 */
export class CircuitBreaker {
  private readonly core: BreakerCore;
  private readonly now: () => number;
  private readonly shared?: SharedStateSync;
  private readonly onCall?: (outcome: CallOutcome) => void;
  private readonly totals: Record<CallOutcome, number> = {
    success: 0,
    failure: 0,
    ignored: 0,
    rejected: 0,
    timeout: 0,
  };
  /** Closed-state calls need no admission, no timeout and no error translation. */
  private readonly plain: boolean;
  private settlers: Settlers = { started: Number.NaN, epoch: 0, succeeded: () => {}, failed: () => {} };

  constructor(
    /** The breaker's name. */
    readonly name: string,
    /** Its resolved options. */
    readonly options: CircuitBreakerOptions,
    hooks: CircuitBreakerHooks = {},
  ) {
    const now = hooks.now ?? coarseNow;
    this.now = now;
    this.core = new BreakerCore(options, ({ from, to }) => {
      // Reported before it is shared, so that the change's `at` precedes every instance seeing it.
      try {
        hooks.onStateChange?.({ name, from, to, at: now() });
      } finally {
        this.shared?.localTransition(to);
      }
    });
    if (hooks.shared) {
      this.shared = new SharedStateSync(
        name,
        options,
        hooks.shared,
        this.core,
        now,
        hooks.warn ?? (() => undefined),
      );
    }
    this.onCall = hooks.onCall;
    this.plain =
      options.timeoutMs === undefined &&
      options.isPermanent === undefined &&
      (this.shared === undefined || this.shared.hybrid);
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
  execute<T>(fn: (signal?: AbortSignal) => T | Promise<T>, options?: ExecuteOptions<T>): Promise<T> {
    if (this.plain && this.core.state === 'closed' && options?.fallback === undefined) {
      return this.executeClosed(fn);
    }
    return this.executeGuarded(fn, options);
  }

  /** Forces the breaker open: every call is rejected until `reset()` or `forceClosed()`. */
  forceOpen(): Promise<void> {
    return this.force('forced_open');
  }

  /** Forces the breaker closed: every call goes through and nothing is counted. */
  forceClosed(): Promise<void> {
    return this.force('forced_closed');
  }

  /** Back to closed, with an empty window. */
  reset(): Promise<void> {
    return this.force('reset');
  }

  /** The state, when probes start, the window's totals and the calls by outcome. */
  snapshot(): CircuitSnapshot {
    const openedAt = this.core.state === 'open' ? this.core.openedAt : 0;
    return {
      name: this.name,
      state: this.core.state,
      openedAt,
      probeAt: openedAt ? openedAt + this.options.waitDurationInOpenState : 0,
      degraded: this.shared?.degraded(this.now()) ?? false,
      stats: this.core.stats(),
      totals: { ...this.totals },
    };
  }

  /**
   * Settles once the shared store pushes this breaker's transitions to this instance (at once
   * without a shared store). Before that, other instances' trips arrive with the periodic read.
   */
  ready(): Promise<void> {
    return this.shared?.ready() ?? Promise.resolve();
  }

  /** Stops the shared-state timer and subscription (after sending the pending outcomes). */
  async close(): Promise<void> {
    await this.shared?.close();
  }

  /**
   * The hot path: the state is closed and decided here, so the call's own promise is returned and
   * its outcome recorded by a reaction registered before the caller's (no extra promise to await).
   */
  private executeClosed<T>(fn: (signal?: AbortSignal) => T | Promise<T>): Promise<T> {
    const started = this.now();
    const epoch = this.shared === undefined ? 0 : this.shared.epoch;
    if (started !== this.settlers.started || epoch !== this.settlers.epoch)
      this.settlers = this.settlersFor(started, epoch);
    let result: T | Promise<T>;
    try {
      result = fn();
    } catch (error) {
      this.failed(error, started, false, epoch);
      return Promise.reject(error);
    }
    const promise = result instanceof Promise ? result : Promise.resolve(result);
    promise.then(this.settlers.succeeded, this.settlers.failed);
    return promise;
  }

  /**
   * The reactions that record closed-state calls started at `started`. The clock is coarse, so
   * the calls of one tick share them instead of allocating two closures each.
   */
  private settlersFor(started: number, epoch: number): Settlers {
    return {
      started,
      epoch,
      succeeded: () => this.succeeded(started, false, epoch),
      failed: (error: unknown) => this.failed(error, started, false, epoch),
    };
  }

  private async executeGuarded<T>(
    fn: (signal?: AbortSignal) => T | Promise<T>,
    options?: ExecuteOptions<T>,
  ): Promise<T> {
    const started = this.now();
    const shared = this.shared;
    const admission =
      shared === undefined ? this.core.admit(started) : (shared.decide(started) ?? (await shared.admit()));
    if (!admission.allowed) {
      this.count('rejected');
      const rejection = new CircuitOpenError(this.name, this.core.state, admission.retryAfterMs);
      if (options?.fallback) return options.fallback(rejection);
      throw await rejectionError(rejection, this.options.retryJitter ?? 0.1);
    }
    const epoch = admission.epoch ?? (shared === undefined ? 0 : shared.epoch);
    let result: T;
    try {
      result =
        this.options.timeoutMs === undefined
          ? await fn()
          : await this.withTimeout(fn, this.options.timeoutMs);
    } catch (error) {
      this.failed(error, started, admission.probe, epoch);
      if (options?.fallback) return options.fallback(error);
      throw await failureError(error, this.options.isPermanent?.(error) ?? false);
    }
    this.succeeded(started, admission.probe, epoch);
    return result;
  }

  private succeeded(started: number, probe: boolean, epoch: number): void {
    const ended = this.now();
    this.recordOutcome(false, ended - started, probe, epoch, ended);
    this.totals.success++;
    this.onCall?.('success');
  }

  /** Records a failed call: a failure if the breaker counts the error (or it timed out). */
  private failed(error: unknown, started: number, probe: boolean, epoch: number): void {
    const ended = this.now();
    const timedOut = error instanceof CircuitTimeoutError;
    const counts = timedOut || (this.options.isFailure?.(error) ?? true);
    if (counts) this.recordOutcome(true, ended - started, probe, epoch, ended);
    else if (probe) this.core.releaseProbe();
    this.count(timedOut ? 'timeout' : counts ? 'failure' : 'ignored');
  }

  private recordOutcome(
    failed: boolean,
    durationMs: number,
    probe: boolean,
    epoch: number,
    now: number,
  ): void {
    if (this.shared === undefined) this.core.record(failed, durationMs, probe, now);
    else this.shared.record(failed, durationMs, probe, epoch, now);
  }

  private count(outcome: CallOutcome): void {
    this.totals[outcome]++;
    this.onCall?.(outcome);
  }

  private async force(target: CircuitState | 'reset'): Promise<void> {
    if (this.shared) return this.shared.force(target);
    this.core.transition(target === 'reset' ? 'closed' : target, this.now());
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
}
