/** A timer handle returned by a `Clock`. */
export type TimerHandle = unknown;

/**
 * The engine's source of time. Sleeps, waits, retries and crons all go through it, so tests can
 * replace it with a `ManualClock` and move time forward instead of waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` after `delayMs`. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer from `setTimer`. */
  clearTimer(handle: TimerHandle): void;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, Math.min(delayMs, 2 ** 31 - 1))),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in order.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const engine = await EmbeddedEngine.start({ clock });
 * // ... a function sleeps for a day
 * await clock.advance(24 * 60 * 60 * 1000);
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  constructor(start: number = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Timers due now run on the next turn of the event loop; later ones wait for `advance()`. */
  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, delayMs), callback });
    if (delayMs <= 0) {
      setImmediate(() => {
        if (!this.timers.delete(id)) return;
        callback();
      });
    }
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order, and lets their work start. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.current = Math.max(this.current, due[1].at);
      due[1].callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = target;
  }

  /** How many timers are pending. */
  get pendingTimers(): number {
    return this.timers.size;
  }
}
