import type { Redis } from 'ioredis';
import type { CircuitState } from '../breaker.options';
import type { SharedState, StoreWatch } from './circuit-store';

type Listener = (state: SharedState) => void;

/**
 * @internal Delivers the transitions the store's scripts publish, one channel per breaker, over one
 * subscriber connection (Redis pub/sub needs a connection of its own). The connection is opened
 * on the first watch and, when the store made it, closed with the last one. ioredis subscribes
 * again after a reconnect; what was published meanwhile is caught by the breakers' periodic read.
 */
export class RedisTransitionListener {
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly subscribed = new Map<string, Promise<void>>();

  constructor(
    private readonly connect: () => Redis,
    private readonly owned: boolean,
  ) {}

  watch(channel: string, listener: Listener): StoreWatch {
    const subscriber = this.open();
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
      const subscribed = subscriber.subscribe(channel).then(() => undefined);
      subscribed.catch(() => undefined); // rejects when the connection is closed first; awaited only by ready()
      this.subscribed.set(channel, subscribed);
    }
    listeners.add(listener);
    const ready = this.subscribed.get(channel)!;
    return {
      ready,
      close: async () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        this.listeners.delete(channel);
        this.subscribed.delete(channel);
        if (this.listeners.size === 0 && this.owned) return this.shutdown();
        // Offline, the command would wait for the connection; the channel then just stays quiet.
        if (subscriber.status === 'ready') await subscriber.unsubscribe(channel).catch(() => undefined);
        if (this.listeners.size === 0) await this.shutdown();
      },
    };
  }

  /** Stops every delivery: closes the subscriber connection if the store opened it, else leaves its channels. */
  async shutdown(): Promise<void> {
    const subscriber = this.subscriber;
    const channels = [...this.subscribed.keys()];
    this.subscriber = undefined;
    this.listeners.clear();
    this.subscribed.clear();
    if (!subscriber) return;
    subscriber.removeListener('message', this.deliver);
    if (!this.owned) {
      if (channels.length > 0 && subscriber.status === 'ready')
        await subscriber.unsubscribe(...channels).catch(() => undefined);
      return;
    }
    if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
    else subscriber.disconnect();
  }

  private open(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.connect();
    subscriber.on('message', this.deliver);
    this.subscriber = subscriber;
    return subscriber;
  }

  private readonly deliver = (channel: string, message: string): void => {
    const listeners = this.listeners.get(channel);
    if (!listeners) return;
    const [state, epoch, openedAt, now] = message.split('|');
    const shared: SharedState = {
      state: state as CircuitState,
      epoch: Number(epoch),
      openedAt: Number(openedAt),
      now: Number(now),
    };
    for (const listener of listeners) listener(shared);
  };
}
