import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * The Redis connection the circuit breakers share their state over, when `REDIS_URL` is set.
 *
 * It is provided inside the breaker module, and the breakers depend on it, so Nest closes it
 * after the breakers' own shutdown (their last flush to Redis): in a module, a provider's
 * shutdown hook runs after those of the providers that depend on it.
 */
export class BreakerRedis implements OnApplicationShutdown {
  private constructor(
    /** The client, or undefined when the breakers keep their state in process. */
    readonly client: Redis | undefined,
  ) {}

  /**
   * Connects before the breakers start flushing. Redis being down does not stop the shop: the
   * breakers decide in process (and say so) until it answers, and ioredis keeps reconnecting.
   */
  static async connect(url: string | undefined): Promise<BreakerRedis> {
    if (!url) return new BreakerRedis(undefined);
    const logger = new Logger('BreakerRedis');
    // No offline queue: a command while disconnected fails at once, and the breaker skips the store.
    const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    let reported = false;
    client.on('error', (error: Error) => {
      if (!reported) logger.warn(`Redis (REDIS_URL) is unreachable: ${error.message}. Retrying.`);
      reported = true;
    });
    client.on('ready', () => {
      reported = false;
    });
    await client.connect().catch(() => undefined); // reported by the error listener
    return new BreakerRedis(client);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.client) return;
    if (this.client.status === 'ready') await this.client.quit();
    else this.client.disconnect();
  }
}
