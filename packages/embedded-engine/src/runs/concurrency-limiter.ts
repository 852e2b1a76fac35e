interface Waiter {
  priority: number;
  seq: number;
  wake(): void;
}

/**
 * @internal Counts in-flight steps per concurrency key and queues the rest: the highest priority
 * first (a function's `priority.run`), then first in, first out.
 */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();
  private seq = 0;

  async acquire(limits: Array<{ key: string; limit: number }>, priority = 0): Promise<() => void> {
    const releases: Array<() => void> = [];
    for (const { key, limit } of limits) releases.push(await this.acquireOne(key, limit, priority));
    return () => {
      for (const release of releases) release();
    };
  }

  private async acquireOne(key: string, limit: number, priority: number): Promise<() => void> {
    const current = this.running.get(key) ?? 0;
    if (current >= limit) {
      await new Promise<void>((wake) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push({ priority, seq: this.seq++, wake });
        this.waiting.set(key, queue);
      });
    }
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running.set(key, (this.running.get(key) ?? 1) - 1);
      this.next(key)?.wake();
    };
  }

  private next(key: string): Waiter | undefined {
    const queue = this.waiting.get(key);
    if (!queue || queue.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const [a, b] = [queue[i]!, queue[best]!];
      if (a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq)) best = i;
    }
    return queue.splice(best, 1)[0];
  }
}
