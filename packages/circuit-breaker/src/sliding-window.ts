/** @internal Totals of a window. */
export interface WindowTotals {
  calls: number;
  failures: number;
  slow: number;
}

/** @internal Outcomes of recent calls, with running totals so that recording costs O(1). */
export interface SlidingWindow extends WindowTotals {
  record(failed: boolean, slow: boolean, nowMs: number): void;
  reset(): void;
}

const FAILED = 1;
const SLOW = 2;

/** @internal The last `size` calls, in a ring buffer of one byte per call. */
export class CountWindow implements SlidingWindow {
  calls = 0;
  failures = 0;
  slow = 0;
  private readonly ring: Uint8Array;
  private next = 0;

  constructor(private readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  record(failed: boolean, slow: boolean): void {
    if (this.calls === this.size) {
      const evicted = this.ring[this.next]!;
      if (evicted & FAILED) this.failures--;
      if (evicted & SLOW) this.slow--;
    } else {
      this.calls++;
    }
    this.ring[this.next] = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    if (failed) this.failures++;
    if (slow) this.slow++;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
  }

  reset(): void {
    this.ring.fill(0);
    this.calls = this.failures = this.slow = this.next = 0;
  }
}

/** @internal The calls of the last `seconds` seconds, in one bucket per second. */
export class TimeWindow implements SlidingWindow {
  calls = 0;
  failures = 0;
  slow = 0;
  private readonly epochs: Float64Array;
  private readonly bucketCalls: Uint32Array;
  private readonly bucketFailures: Uint32Array;
  private readonly bucketSlow: Uint32Array;

  constructor(private readonly seconds: number) {
    this.epochs = new Float64Array(seconds).fill(-1);
    this.bucketCalls = new Uint32Array(seconds);
    this.bucketFailures = new Uint32Array(seconds);
    this.bucketSlow = new Uint32Array(seconds);
  }

  record(failed: boolean, slow: boolean, nowMs: number): void {
    const index = this.advance(nowMs);
    this.bucketCalls[index]!++;
    this.calls++;
    if (failed) {
      this.bucketFailures[index]!++;
      this.failures++;
    }
    if (slow) {
      this.bucketSlow[index]!++;
      this.slow++;
    }
  }

  /** Drops the buckets older than the window; returns the bucket of `nowMs`. */
  advance(nowMs: number): number {
    const epoch = Math.floor(nowMs / 1000);
    const index = epoch % this.seconds;
    if (this.epochs[index] !== epoch) {
      for (let i = 0; i < this.seconds; i++) {
        if (this.epochs[i]! >= 0 && this.epochs[i]! <= epoch - this.seconds) this.clear(i);
      }
      this.clear(index);
      this.epochs[index] = epoch;
    }
    return index;
  }

  private clear(index: number): void {
    this.calls -= this.bucketCalls[index]!;
    this.failures -= this.bucketFailures[index]!;
    this.slow -= this.bucketSlow[index]!;
    this.bucketCalls[index] = this.bucketFailures[index] = this.bucketSlow[index] = 0;
    this.epochs[index] = -1;
  }

  reset(): void {
    for (let i = 0; i < this.seconds; i++) this.clear(i);
  }
}
