import type { Redis, RedisOptions } from 'ioredis';
import type { SharedStoreConfig } from './circuit-store';
import { RedisCircuitStore } from './redis-circuit-store';

/**
 * Shared state in Redis on a connection the module opens and closes: give where Redis is, not a
 * client. The module connects with `enableOfflineQueue: false` (a call never waits for an offline
 * Redis: the breaker decides locally meanwhile) and quits the connection, and the subscriber it
 * opens for pushed trips, when the app shuts down (`app.close()`), so the process can exit.
 *
 * @example
 * ```ts
 * CircuitBreakerModule.forRoot({ store: { redis: { url: process.env.REDIS_URL }, mode: 'hybrid' } });
 * ```
 */
export interface RedisConnectionStoreConfig extends Omit<SharedStoreConfig, 'store'> {
  /**
   * The connection: `url` (e.g. `redis://127.0.0.1:6379`) and any other `ioredis` option, which
   * override the module's (`enableOfflineQueue: false`). Default: ioredis's, `127.0.0.1:6379`.
   */
  redis: RedisOptions & { url?: string };
  /** Prefix of every key and channel, as `RedisCircuitStoreOptions.keyPrefix`. Default `circuit`. */
  keyPrefix?: string;
  /** As `RedisCircuitStoreOptions.probeLeaseMs`. Default 30000. */
  probeLeaseMs?: number;
}

/** @internal A shared store on a connection the module owns, and how to close it. */
export interface OwnedRedisStore {
  /** What the breakers use. */
  config: SharedStoreConfig;
  /** Closes the store's subscriber, then the connection (after the breakers have flushed). */
  close(): Promise<void>;
}

/** @internal Whether the module's `store` option asks the module to open the connection. */
export function isRedisConnectionConfig(store: unknown): store is RedisConnectionStoreConfig {
  return typeof store === 'object' && store !== null && 'redis' in store && !('store' in store);
}

/** @internal Opens the connection (`ioredis` is an optional peer, loaded only here) and the store on it. */
export async function openRedisStore(config: RedisConnectionStoreConfig): Promise<OwnedRedisStore> {
  const { redis: connection, keyPrefix, probeLeaseMs, ...shared } = config;
  const { url, ...options } = connection;
  const { Redis: RedisClient } = await import('ioredis');
  const settings: RedisOptions = { enableOfflineQueue: false, ...options };
  const redis: Redis = url ? new RedisClient(url, settings) : new RedisClient(settings);
  // An outage is reported by the breakers (once per outage); without a listener ioredis prints each error.
  redis.on('error', () => undefined);
  const store = new RedisCircuitStore({
    redis,
    ...(keyPrefix !== undefined ? { keyPrefix } : {}),
    ...(probeLeaseMs !== undefined ? { probeLeaseMs } : {}),
  });
  return {
    config: { ...shared, store },
    close: async () => {
      await store.close();
      // QUIT lets replies in flight arrive; a connection that is down has nothing to wait for.
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
