import type { CircuitBreakerOptions, CircuitState } from './breaker.options';
import type { Admission, BreakerCore } from './breaker-core';
import { StoreDeadline } from './store-deadline';
import type {
  SharedCircuitStore,
  SharedOutcome,
  SharedState,
  SharedStoreConfig,
  StoreWatch,
} from './stores/circuit-store';

const STORE_RETRY_MS = 5_000;
/** Shared mode: how soon a call's outcome reaches the store's window at the latest. */
const SHARED_FLUSH_MS = 5;
const ADMIT: Admission = { allowed: true, probe: false, retryAfterMs: 0 };
const FORCED_OPEN: Admission = { allowed: false, probe: false, retryAfterMs: -1 };

/**
 * @internal Keeps one breaker's local state in step with the shared store.
 *
 * The store versions its state (`epoch`); this instance takes a shared state as its own only when
 * it is newer than the one it holds, so an answer sent before a transition can never undo it. A
 * transition reaches the instance three ways: in the answer to its own store call, pushed by the
 * store's `watch` (pub/sub), and at the periodic read. While open, calls are rejected here until
 * the open time ends. Closed, a shared-mode call is decided on a plain read of the store's state
 * and outcomes go to the store in batches; in hybrid mode closed-state calls are decided here,
 * and a local trip is published to every instance. A store that fails or is slow is skipped for a
 * while: the local state decides, and what changed meanwhile is reconciled once the store answers
 * again.
 */
export class SharedStateSync {
  /** The version of the shared state this instance holds. */
  epoch = 0;
  readonly hybrid: boolean;
  private readonly store: SharedCircuitStore;
  private readonly deadline: StoreDeadline;
  private readonly watching?: StoreWatch;
  private readonly timer: NodeJS.Timeout;
  private pendingCalls = 0;
  private pendingFailures = 0;
  private pendingSlow = 0;
  private flushTimer?: NodeJS.Timeout;
  private syncing = false;
  private storeDownUntil = 0;
  /** The core is moving to a state the store told us (or we told the store): not a local transition. */
  private adopting = false;
  /** The local state changed without the store: a hybrid trip, or a change while the store was down. */
  private unshared = false;
  private tripping = false;
  private pendingForce?: CircuitState | 'reset';

  constructor(
    private readonly name: string,
    private readonly options: CircuitBreakerOptions,
    config: SharedStoreConfig,
    private readonly core: BreakerCore,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
  ) {
    this.store = config.store;
    this.hybrid = config.mode === 'hybrid';
    this.deadline = new StoreDeadline(config.storeTimeoutMs ?? 250);
    this.watching = this.store.watch?.(name, (state) => this.reconcile(state));
    this.timer = setInterval(() => void this.sync(), config.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  /** Settles once the store pushes this breaker's transitions to this instance. */
  ready(): Promise<void> {
    return this.watching?.ready ?? Promise.resolve();
  }

  degraded(now: number): boolean {
    return this.storeDownUntil > now;
  }

  /** The decision when it needs no store call; `undefined` when the store decides. */
  decide(now: number): Admission | undefined {
    if (this.storeDownUntil > now) return this.core.admit(now);
    switch (this.core.state) {
      case 'closed':
      case 'forced_closed':
        return this.hybrid ? ADMIT : undefined;
      case 'forced_open':
        return FORCED_OPEN;
      case 'open': {
        const left = this.core.openedAt + this.options.waitDurationInOpenState - now;
        return left > 0 ? { allowed: false, probe: false, retryAfterMs: left } : undefined;
      }
      case 'half_open':
        return undefined;
    }
  }

  /**
   * Asks the store. Closed (shared mode): a plain read of the state, the cheapest round trip;
   * otherwise the admission script, which also takes probe leases and carries pending outcomes.
   */
  admit(): Promise<Admission> {
    const state = this.core.state;
    if (this.store.read === undefined || (state !== 'closed' && state !== 'forced_closed')) {
      return this.admitByScript();
    }
    return this.deadline.guard(this.store.read(this.name)).then(
      (answer) => {
        if (answer.state !== 'closed' && answer.state !== 'forced_closed') return this.admitByScript();
        this.reconcile(answer);
        return { allowed: true, probe: false, retryAfterMs: 0, epoch: answer.epoch };
      },
      (error: unknown) => this.decideWithoutStore(error),
    );
  }

  private admitByScript(): Promise<Admission> {
    const outcome = this.takePending();
    return this.deadline.guard(this.store.admit(this.name, this.options, outcome)).then(
      (answer) => {
        this.reconcile(answer);
        return answer;
      },
      (error: unknown) => this.decideWithoutStore(error),
    );
  }

  private decideWithoutStore(error: unknown): Admission {
    this.storeFailed(error);
    return this.core.admit(this.now());
  }

  /** Records the outcome of a call admitted under `admittedEpoch`. */
  record(failed: boolean, durationMs: number, probe: boolean, admittedEpoch: number, now: number): void {
    if (this.storeDownUntil > now) {
      this.core.record(failed, durationMs, probe, now);
      return;
    }
    const slow = durationMs >= this.options.slowCallDurationThreshold;
    if (probe) {
      const outcome = { calls: 1, failures: failed ? 1 : 0, slow: slow ? 1 : 0, probe, epoch: admittedEpoch };
      void this.deadline.guard(this.store.record(this.name, this.options, outcome)).then(
        (answer) => this.reconcile(answer),
        (error) => {
          this.storeFailed(error);
          this.core.record(failed, durationMs, probe, now);
        },
      );
      return;
    }
    // A call admitted before the latest transition says nothing about the new state.
    if (admittedEpoch !== this.epoch) return;
    this.pendingCalls++;
    if (failed) this.pendingFailures++;
    if (slow) this.pendingSlow++;
    if (this.hybrid) {
      this.core.record(failed, durationMs, false, now); // may trip, which publishes the trip
    } else {
      // Batched: a record per call would cost a script per call; a batch reaches the store within
      // SHARED_FLUSH_MS, or sooner with the next admission script.
      this.flushTimer ??= setTimeout(this.flushShared, SHARED_FLUSH_MS);
    }
  }

  private readonly flushShared = (): void => {
    this.flushTimer = undefined;
    if (this.pendingCalls === 0 || this.storeDownUntil > this.now()) return;
    void this.deadline.guard(this.store.record(this.name, this.options, this.takePending())).then(
      (answer) => this.reconcile(answer),
      (error) => this.storeFailed(error),
    );
  };

  /** Called for every transition of the core that the store did not cause. */
  localTransition(to: CircuitState): void {
    if (this.adopting) return;
    this.dropPending();
    if (this.storeDownUntil > this.now()) {
      this.unshared = true;
      return;
    }
    if (to === 'open' && this.hybrid) {
      this.unshared = true;
      this.publishTrip();
    }
  }

  /** Forces a state here and in the store (replayed once the store answers, if it does not now). */
  async force(target: CircuitState | 'reset'): Promise<void> {
    this.unshared = false; // what this instance changed on its own is superseded
    this.enter(target === 'reset' ? 'closed' : target, this.now());
    this.dropPending();
    try {
      const answer = await this.deadline.guard(this.store.force(this.name, target));
      this.pendingForce = undefined;
      this.reconcile(answer);
    } catch (error) {
      this.pendingForce = target;
      this.storeFailed(error);
    }
  }

  /** Stops the periodic read and the pushed transitions, after sending what is pending. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.flushTimer);
    await this.sync();
    await this.watching?.close();
  }

  /**
   * Takes an answer of the store into account: a newer state is adopted, an older one ignored.
   * At the same version, a state this instance changed on its own wins if it is a trip (and is
   * published) and otherwise yields to the store's.
   */
  private reconcile(answer: SharedState): void {
    if (answer.epoch > this.epoch) {
      this.adopt(answer);
      return;
    }
    if (answer.epoch < this.epoch) return;
    if (this.unshared) {
      if (this.core.state === 'open') this.publishTrip();
      else this.adopt(answer);
      return;
    }
    // Same open state: take the store's open time (its clock decides when probes start).
    if (answer.state === 'open' && this.core.state === 'open') this.core.openedAt = this.localTime(answer);
  }

  private adopt(answer: SharedState): void {
    this.epoch = answer.epoch;
    this.unshared = false;
    this.dropPending();
    this.enter(answer.state, answer.state === 'open' ? this.localTime(answer) : this.now());
  }

  private enter(state: CircuitState, at: number): void {
    this.adopting = true;
    try {
      this.core.transition(state, at);
    } finally {
      this.adopting = false;
    }
  }

  /** `openedAt` of the store, on this instance's clock. */
  private localTime(answer: SharedState): number {
    return this.now() - (answer.now - answer.openedAt);
  }

  private publishTrip(): void {
    if (this.tripping) return;
    this.tripping = true;
    this.deadline.guard(this.store.trip(this.name, this.options, this.epoch)).then(
      (answer) => {
        this.tripping = false;
        // Opened by this trip (newer), or refused because the store is elsewhere: its state wins.
        if (answer.epoch >= this.epoch) this.adopt(answer);
      },
      (error) => {
        this.tripping = false;
        this.storeFailed(error); // still unshared: published once the store answers
      },
    );
  }

  /** The periodic read: sends pending outcomes and catches up with what the pushes missed. */
  private async sync(): Promise<void> {
    if (this.syncing || this.storeDownUntil > this.now()) return;
    this.syncing = true;
    try {
      if (this.pendingForce !== undefined) {
        await this.force(this.pendingForce);
      } else if (this.unshared && this.core.state === 'open') {
        this.publishTrip();
      } else {
        const outcome = this.takePending();
        this.reconcile(await this.deadline.guard(this.store.record(this.name, this.options, outcome)));
      }
    } catch (error) {
      this.storeFailed(error);
    } finally {
      this.syncing = false;
    }
  }

  private takePending(): SharedOutcome {
    const outcome = {
      calls: this.pendingCalls,
      failures: this.pendingFailures,
      slow: this.pendingSlow,
      probe: false,
      epoch: this.epoch,
    };
    this.dropPending();
    return outcome;
  }

  private dropPending(): void {
    this.pendingCalls = this.pendingFailures = this.pendingSlow = 0;
  }

  private storeFailed(error: unknown): void {
    const now = this.now();
    const wasUp = this.storeDownUntil <= now;
    this.storeDownUntil = now + STORE_RETRY_MS;
    if (wasUp) {
      this.warn(
        `Circuit "${this.name}": the shared state store is unreachable (${(error as Error)?.message}); deciding on local state for ${STORE_RETRY_MS / 1000} s.`,
      );
    }
  }
}
