import type { Clock, TimerHandle } from '../clock';

/** @internal Keyed timers on the engine's clock: one timer per pending piece of work. */
export class Scheduler {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  at(key: string, dueAt: number, task: () => void): void {
    this.cancel(key);
    if (!Number.isFinite(dueAt)) return;
    const handle = this.clock.setTimer(() => {
      this.timers.delete(key);
      task();
    }, dueAt - this.clock.now());
    this.timers.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.timers.get(key);
    if (handle === undefined) return;
    this.clock.clearTimer(handle);
    this.timers.delete(key);
  }

  cancelAll(): void {
    for (const handle of this.timers.values()) this.clock.clearTimer(handle);
    this.timers.clear();
  }
}
