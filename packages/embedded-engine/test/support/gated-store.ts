import { MemoryRunStore, type StoreBatch } from '../../src';

/**
 * A memory store whose commits can be held: a test sees what the engine tries to store, and what
 * it does (or does not do) before the store says "stored".
 */
export class GatedStore extends MemoryRunStore {
  readonly batches: StoreBatch[] = [];
  /** The ids of each `knownEvents` call. */
  readonly lookups: string[][] = [];
  private held?: Promise<void>;
  private release?: () => void;

  hold(): void {
    this.held ??= new Promise<void>((resolve) => {
      this.release = resolve;
    });
  }

  open(): void {
    this.release?.();
    this.held = undefined;
  }

  override knownEvents(ids: string[], since?: number): Promise<Set<string>> {
    this.lookups.push([...ids]);
    return super.knownEvents(ids, since);
  }

  override async commit(batch: StoreBatch): Promise<void> {
    this.batches.push(structuredClone(batch));
    await this.held;
    // A few turns of the event loop, so that a store that answers late is the norm here.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    await super.commit(batch);
  }
}
