interface Guarded {
  deadline: number;
  reject: (error: Error) => void;
}

/**
 * @internal Fails store calls that outlive a timeout, with one timer for all of them: a timer and
 * a `Promise.race` per call cost about a microsecond, a share of a Redis round trip that shows.
 */
export class StoreDeadline {
  private readonly pending = new Set<Guarded>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {}

  /** `operation`, or a rejection once it has taken longer than the timeout. */
  guard<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const guarded: Guarded = { deadline: Date.now() + this.timeoutMs, reject };
      this.pending.add(guarded);
      this.timer ??= this.arm(this.timeoutMs);
      operation.then(
        (value) => {
          this.pending.delete(guarded);
          resolve(value);
        },
        (error) => {
          this.pending.delete(guarded);
          reject(error);
        },
      );
    });
  }

  private arm(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(), delayMs);
    timer.unref();
    return timer;
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const guarded of this.pending) {
      if (guarded.deadline <= now) {
        this.pending.delete(guarded);
        guarded.reject(new Error(`no answer within ${this.timeoutMs} ms`));
      } else {
        next = Math.min(next, guarded.deadline);
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.timer = this.arm(Math.max(1, next - now));
  }
}
