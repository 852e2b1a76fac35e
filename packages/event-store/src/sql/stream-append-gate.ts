import type { RawAppendOutcome } from '../storage';

interface Waiting {
  expected: number;
  /** No event id came from the caller, so the append cannot be the replay of an earlier one. */
  fresh: boolean;
  /** Sends the append; `inLine` when it becomes the stream's append in flight. */
  send: (inLine: boolean) => void;
  refuse: (actual: number) => void;
}

/**
 * @internal Appends that expect a version of one stream reach the database one at a time from
 * this process: the others wait here, holding no connection, rather than each holding one while it
 * queues for the stream's lock. When the append in flight finishes, it has seen the stream's
 * version; a waiting append that expects a lower version (or `no_stream` of a stream that exists)
 * can never succeed, since versions only grow. Those are answered at once: refused here with that
 * version when their ids are new (nothing stored can make them a replay), else all sent together
 * for the database to refuse before the stream's lock, or to answer as replays. The next of the
 * others then goes in flight.
 *
 * Appends with no expectation never conflict and skip the gate: the stream's lock alone orders
 * them. So does an append inside a transaction: the transaction may hold the stream's lock, which
 * the append in flight would wait for.
 */
export class StreamAppendGate {
  private readonly lines = new Map<string, Waiting[]>();

  run(
    key: string,
    expected: number,
    fresh: boolean,
    append: () => Promise<RawAppendOutcome>,
  ): Promise<RawAppendOutcome> {
    const line = this.lines.get(key);
    if (!line) {
      this.lines.set(key, []);
      return this.inFlight(key, append);
    }
    return new Promise((resolve, reject) => {
      line.push({
        expected,
        fresh,
        send: (inLine) => (inLine ? this.inFlight(key, append) : append()).then(resolve, reject),
        refuse: (actual) => resolve({ status: 'wrong_version', actual }),
      });
    });
  }

  private async inFlight(key: string, append: () => Promise<RawAppendOutcome>): Promise<RawAppendOutcome> {
    let version: number | null = null;
    try {
      const outcome = await append();
      if (outcome.status === 'ok') version = outcome.nextVersion;
      else if (outcome.status === 'wrong_version') version = outcome.actual;
      return outcome;
    } finally {
      this.next(key, version);
    }
  }

  private next(key: string, version: number | null): void {
    let line = this.lines.get(key)!;
    if (version !== null && line.some((w) => cannotHold(w.expected, version))) {
      for (const waiting of line) {
        if (!cannotHold(waiting.expected, version)) continue;
        if (waiting.fresh) waiting.refuse(version);
        else waiting.send(false);
      }
      line = line.filter((w) => !cannotHold(w.expected, version));
      this.lines.set(key, line);
    }
    const following = line.shift();
    if (following) following.send(true);
    else this.lines.delete(key);
  }
}

/** Versions only grow, so these expectations fail against any version from `version` on. */
function cannotHold(expected: number, version: number): boolean {
  if (expected === -2) return false;
  if (expected === -1) return version > 0;
  return expected < version;
}
