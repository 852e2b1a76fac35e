import { join } from 'node:path';
import { Journal } from './journal';

/** The answer a simulator gave to a request with an `Idempotency-Key`, kept to answer its retries. */
export interface StoredReply {
  key: string;
  /** `METHOD /path` of the first request, named when the key comes back with another one. */
  request: string;
  /** Hash of the method, path and body of the first request. */
  fingerprint: string;
  status: number;
  body: unknown;
}

/** What one answered request changed: its events, and its reply when it had a key. Written as one line. */
interface Transaction<E> {
  events: E[];
  reply?: StoredReply;
}

/**
 * A simulator's memory: the events that made its state (charges, shipments, mail...) and the replies
 * kept for idempotency keys, in a {@link Journal} when it has a data directory, in memory otherwise.
 * An answer's events and its reply are one journal line, so after a crash either both are there or
 * neither: a retry never finds the charge without its reply, and never charges twice.
 */
export class Ledger<E> {
  private readonly replies = new Map<string, StoredReply>();
  private journal?: Journal<Transaction<E>>;

  private constructor(private readonly evolve: (event: E) => void) {}

  /**
   * Opens the ledger `name` in `dataDir` (file `<name>.jsonl`), replaying it through `evolve`;
   * without `dataDir` it lives in memory and is forgotten with the process.
   */
  static open<E>(options: { name: string; dataDir?: string; evolve: (event: E) => void }): Ledger<E> {
    const ledger = new Ledger<E>(options.evolve);
    if (options.dataDir) {
      ledger.journal = Journal.open<Transaction<E>>(join(options.dataDir, `${options.name}.jsonl`), (entry) =>
        ledger.apply(entry),
      );
    }
    return ledger;
  }

  /** The reply kept for `key`, if a request with that key was answered before. */
  replyFor(key: string): StoredReply | undefined {
    return this.replies.get(key);
  }

  /** Stores the events (and the reply to keep) durably, then applies them; on a disk error, neither. */
  commit(events: E[], reply?: StoredReply): void {
    if (events.length === 0 && !reply) return;
    const transaction: Transaction<E> = reply ? { events, reply } : { events };
    this.journal?.append(transaction);
    this.apply(transaction);
  }

  /** Closes the journal (the in-memory state stays readable). */
  close(): void {
    this.journal?.close();
    this.journal = undefined;
  }

  private apply(transaction: Transaction<E>): void {
    for (const event of transaction.events) this.evolve(event);
    if (transaction.reply) this.replies.set(transaction.reply.key, transaction.reply);
  }
}
