import { setTimeout as delay } from 'node:timers/promises';
import type { Random } from './random';

/**
 * The driver's traffic: `crash/order` events with unique ids, posted to the engine's event API as a
 * client would, and the record of which ids the engine accepted (answered 200).
 */
export class OrderEvents {
  /** Ids answered 200: each must end up with its runs, whatever happens to the app afterwards. */
  readonly accepted = new Set<string>();
  /** Ids whose request got no answer (the app died under it): a client sends them again later. */
  private readonly unanswered: string[] = [];
  private created = 0;
  /** Requests answered 200, and requests that failed or got a 5xx. */
  readonly posts = { accepted: 0, failed: 0 };

  constructor(
    private readonly prefix: string,
    private readonly eventKey: string,
    private readonly random: Random,
  ) {}

  /** How many distinct ids were sent at least once. */
  get sent(): number {
    return this.created;
  }

  /**
   * Posts one to three events at a time (retries first) until `stopped()` says so. The pause
   * between posts only shapes the load (a few dozen orders per life of the app, so that a run
   * spans several kills); nothing waits on it.
   */
  async sendUntil(engineUrl: string, stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const ids = this.unanswered.splice(0, 3);
      if (ids.length === 0) {
        for (let n = this.random.int(1, 3); n > 0; n--) ids.push(`${this.prefix}-${++this.created}`);
      }
      await this.post(engineUrl, ids);
      if (!stopped()) await delay(this.random.int(40, 120));
    }
  }

  /** Sends every unanswered id again until each is accepted; the app must be up. */
  async flush(engineUrl: string): Promise<void> {
    while (this.unanswered.length > 0) {
      const ids = this.unanswered.splice(0, 3);
      if (!(await this.post(engineUrl, ids)))
        throw new Error(`The engine did not accept ${ids.join(', ')} although the app is up.`);
    }
  }

  private async post(engineUrl: string, ids: string[]): Promise<boolean> {
    const events = ids.map((id) => ({ id, name: 'crash/order', data: { orderId: id } }));
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${engineUrl}/e/${this.eventKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
        signal: AbortSignal.timeout(20_000),
      });
      status = response.status;
      text = await response.text();
    } catch {
      status = 0;
      text = '';
    }
    if (status === 200) {
      for (const id of ids) this.accepted.add(id);
      this.posts.accepted++;
      return true;
    }
    if (status >= 400 && status < 500) {
      throw new Error(`The engine refused ${ids.join(', ')} with ${status}: ${text}`);
    }
    this.unanswered.push(...ids);
    this.posts.failed++;
    return false;
  }
}
