import type { CircuitBreakerOptions, CircuitState } from './breaker.options';
import { CountWindow, type SlidingWindow, TimeWindow } from './sliding-window';

/** @internal What the core decided for one call. */
export interface Admission {
  allowed: boolean;
  /** The call is a half-open probe: its outcome decides the state. */
  probe: boolean;
  /** When rejected: ms until probes are let through (-1 when forced open). */
  retryAfterMs: number;
  /** The shared state's epoch the store admitted the call under (shared stores only). */
  epoch?: number;
}

/** @internal A state change. */
export interface Transition {
  from: CircuitState;
  to: CircuitState;
}

const ADMIT: Admission = { allowed: true, probe: false, retryAfterMs: 0 };
const ADMIT_PROBE: Admission = { allowed: true, probe: true, retryAfterMs: 0 };

/**
 * @internal The breaker's state machine on one process's view of the calls: closed → open when a
 * rate crosses its threshold, open → half-open after the wait, half-open → closed or open on the
 * probes' outcomes. Free of I/O and of Nest; time comes in as arguments.
 */
export class BreakerCore {
  state: CircuitState = 'closed';
  openedAt = 0;
  private readonly window: SlidingWindow;
  private probesIssued = 0;
  private probeSuccesses = 0;
  private probeFailures = 0;

  constructor(
    readonly options: CircuitBreakerOptions,
    private readonly onTransition: (transition: Transition) => void = () => undefined,
  ) {
    this.window =
      options.slidingWindowType === 'count'
        ? new CountWindow(options.slidingWindowSize)
        : new TimeWindow(options.slidingWindowSize);
  }

  admit(nowMs: number): Admission {
    switch (this.state) {
      case 'closed':
      case 'forced_closed':
        return ADMIT;
      case 'forced_open':
        return { allowed: false, probe: false, retryAfterMs: -1 };
      case 'open': {
        const waitLeft = this.openedAt + this.options.waitDurationInOpenState - nowMs;
        if (waitLeft > 0) return { allowed: false, probe: false, retryAfterMs: waitLeft };
        this.transition('half_open');
        return this.admit(nowMs);
      }
      case 'half_open':
        if (this.probesIssued < this.options.permittedNumberOfCallsInHalfOpenState) {
          this.probesIssued++;
          return ADMIT_PROBE;
        }
        // Every probe is out: reject at once, never park the caller on a probe's promise.
        return {
          allowed: false,
          probe: false,
          retryAfterMs: Math.max(1, this.options.waitDurationInOpenState),
        };
    }
  }

  /** Records a finished call; `failed` only for errors that count. */
  record(failed: boolean, durationMs: number, probe: boolean, nowMs: number): void {
    const options = this.options;
    const slow = durationMs >= options.slowCallDurationThreshold;
    if (!probe && this.state === 'closed') {
      // The hot path: one ring-buffer write and, once the window is full enough, two comparisons.
      const window = this.window;
      window.record(failed, slow, nowMs);
      const calls = window.calls;
      if (
        calls >= options.minimumNumberOfCalls &&
        (window.failures * 100 >= options.failureRateThreshold * calls ||
          window.slow * 100 >= options.slowCallRateThreshold * calls)
      ) {
        this.transition('open', nowMs);
      }
      return;
    }
    if (probe) {
      if (this.state !== 'half_open') return;
      if (failed || slow) this.probeFailures++;
      else this.probeSuccesses++;
      const done = this.probeSuccesses + this.probeFailures;
      if (done < options.permittedNumberOfCallsInHalfOpenState) return;
      const failureRate = (this.probeFailures / done) * 100;
      this.transition(failureRate >= options.failureRateThreshold ? 'open' : 'closed', nowMs);
    }
  }

  /** Records a probe that was admitted but whose outcome does not count (an ignored error). */
  releaseProbe(): void {
    if (this.state === 'half_open' && this.probesIssued > 0) this.probesIssued--;
  }

  /**
   * Moves to a state and resets what it starts from (the window, the probes, the open time), also
   * when it is the current state: a reset of a closed breaker empties its window. Only a change of
   * state is reported.
   */
  transition(to: CircuitState, nowMs = Date.now()): void {
    const from = this.state;
    this.state = to;
    this.openedAt = to === 'open' ? nowMs : 0;
    this.probesIssued = this.probeSuccesses = this.probeFailures = 0;
    this.window.reset();
    if (from !== to) this.onTransition({ from, to });
  }

  /** Totals of the current window. */
  stats(): { calls: number; failures: number; slowCalls: number; failureRate: number; slowCallRate: number } {
    const { calls, failures, slow } = this.window;
    return {
      calls,
      failures,
      slowCalls: slow,
      failureRate: calls === 0 ? 0 : (failures * 100) / calls,
      slowCallRate: calls === 0 ? 0 : (slow * 100) / calls,
    };
  }
}
