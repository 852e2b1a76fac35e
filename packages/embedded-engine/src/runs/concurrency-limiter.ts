/** @internal Counts in-flight steps per concurrency key and queues the rest, first in, first out. */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  async acquire(limits: Array<{ key: string; limit: number }>): Promise<() => void> {
    const releases: Array<() => void> = [];
    for (const { key, limit } of limits) releases.push(await this.acquireOne(key, limit));
    return () => {
      for (const release of releases) release();
    };
  }

  private async acquireOne(key: string, limit: number): Promise<() => void> {
    const current = this.running.get(key) ?? 0;
    if (current >= limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    }
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running.set(key, (this.running.get(key) ?? 1) - 1);
      this.waiting.get(key)?.shift()?.();
    };
  }
}
