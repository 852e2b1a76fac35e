import type { Redis } from 'ioredis';
import type { CircuitBreakerOptions, CircuitState } from '../breaker.options';
import type {
  SharedAdmission,
  SharedCircuitStore,
  SharedOutcome,
  SharedState,
  StoreWatch,
} from './circuit-store';
import { ADMIT_SCRIPT, FORCE_SCRIPT, RECORD_SCRIPT, TRIP_SCRIPT } from './redis-scripts';
import { RedisTransitionListener } from './redis-transition-listener';

/** Options of `RedisCircuitStore`. */
export interface RedisCircuitStoreOptions {
  /** An `ioredis` client the app owns. Create it with `enableOfflineQueue: false` so an outage fails fast. */
  redis: Redis;
  /**
   * Prefix of every key and channel. Default `circuit`. On Redis Cluster, make it a hash tag
   * (`{circuit}`): a script's keys must live on one slot.
   */
  keyPrefix?: string;
  /** How long a half-open probe lease lasts before an unfinished probe is handed out again (ms). Default 30000. */
  probeLeaseMs?: number;
  /**
   * The connection that receives other instances' transitions (Redis pub/sub needs a connection
   * of its own). Default: a duplicate of `redis`, opened on the first breaker and closed with the
   * last one (or by `close()`).
   */
  subscriber?: Redis;
}

type StateReply = [string, number, number, number];
type AdmitReply = number | [number, number, string, number, number, number, number];

type Script<R> = (...args: Array<string | number>) => Promise<R>;
type Scripted = Redis & {
  sagalineCircuitAdmit: Script<AdmitReply>;
  sagalineCircuitRecord: Script<StateReply>;
  sagalineCircuitTrip: Script<StateReply>;
  sagalineCircuitForce: Script<StateReply>;
};

const NO_OUTCOME: SharedOutcome = { calls: 0, failures: 0, slow: 0, probe: false, epoch: 0 };

/**
 * Breaker state in Redis, shared by every instance: one Lua script per decision on Redis server
 * time, versioned states (every transition raises an epoch), transitions pushed to every instance
 * over pub/sub, and probe leases so that exactly the permitted probes pass across all instances.
 *
 * @example
 * ```ts
 * const store = new RedisCircuitStore({ redis: new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false }) });
 * CircuitBreakerModule.forRoot({ store: { store, mode: 'hybrid' } });
 * ```
 */
export class RedisCircuitStore implements SharedCircuitStore {
  private readonly redis: Scripted;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly transitions: RedisTransitionListener;
  private readonly keysByName = new Map<string, [string, string]>();
  private readonly settingsByOptions = new WeakMap<CircuitBreakerOptions, string>();

  constructor(options: RedisCircuitStoreOptions) {
    this.redis = options.redis as Scripted;
    this.prefix = options.keyPrefix ?? 'circuit';
    this.leaseMs = options.probeLeaseMs ?? 30_000;
    this.redis.defineCommand('sagalineCircuitAdmit', { numberOfKeys: 2, lua: ADMIT_SCRIPT });
    this.redis.defineCommand('sagalineCircuitRecord', { numberOfKeys: 2, lua: RECORD_SCRIPT });
    this.redis.defineCommand('sagalineCircuitTrip', { numberOfKeys: 2, lua: TRIP_SCRIPT });
    this.redis.defineCommand('sagalineCircuitForce', { numberOfKeys: 2, lua: FORCE_SCRIPT });
    const given = options.subscriber;
    this.transitions = new RedisTransitionListener(
      () =>
        given ??
        // Its own settings: it must wait for the connection (subscribing is not a call on the hot
        // path) and connect at once, whatever the app chose for its command connection.
        options.redis
          .duplicate({ lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: null })
          .on('error', () => undefined),
      given === undefined,
    );
  }

  admit(
    name: string,
    options: CircuitBreakerOptions,
    outcome: SharedOutcome = NO_OUTCOME,
  ): Promise<SharedAdmission> {
    const [state, window] = this.keys(name);
    return this.redis
      .sagalineCircuitAdmit(state, window, this.settings(options), outcomeArgument(outcome))
      .then(toAdmission);
  }

  async read(name: string): Promise<SharedState> {
    const [state, epoch] = await this.redis.hmget(this.keys(name)[0], 'state', 'epoch');
    // No epoch: a breaker the store never moved (or one a version before epochs left): closed.
    if (epoch === null) return { state: 'closed', epoch: 0, openedAt: 0, now: 0 };
    return { state: state as CircuitState, epoch: Number(epoch), openedAt: 0, now: 0 };
  }

  async record(name: string, options: CircuitBreakerOptions, outcome: SharedOutcome): Promise<SharedState> {
    return toState(
      await this.redis.sagalineCircuitRecord(
        ...this.keys(name),
        this.settings(options),
        outcomeArgument(outcome),
        outcome.probe ? 1 : 0,
      ),
    );
  }

  async trip(name: string, _options: CircuitBreakerOptions, knownEpoch: number): Promise<SharedState> {
    return toState(await this.redis.sagalineCircuitTrip(...this.keys(name), knownEpoch));
  }

  async force(name: string, state: CircuitState | 'reset'): Promise<SharedState> {
    return toState(await this.redis.sagalineCircuitForce(...this.keys(name), state));
  }

  watch(name: string, listener: (state: SharedState) => void): StoreWatch {
    return this.transitions.watch(`${this.prefix}:${name}:transitions`, listener);
  }

  /** Stops delivering transitions; closes the subscriber connection if the store opened it. */
  close(): Promise<void> {
    return this.transitions.shutdown();
  }

  /** The breaker's settings as the scripts read them, built once per breaker. */
  private settings(options: CircuitBreakerOptions): string {
    let settings = this.settingsByOptions.get(options);
    if (settings === undefined) {
      settings = [
        options.slidingWindowType,
        options.slidingWindowSize,
        options.minimumNumberOfCalls,
        options.failureRateThreshold,
        options.slowCallRateThreshold,
        options.waitDurationInOpenState,
        options.permittedNumberOfCallsInHalfOpenState,
        this.leaseMs,
      ].join('|');
      this.settingsByOptions.set(options, settings);
    }
    return settings;
  }

  /** The state hash and the window hash; the scripts publish on `<state hash>:transitions`. */
  private keys(name: string): [string, string] {
    let keys = this.keysByName.get(name);
    if (!keys) {
      keys = [`${this.prefix}:${name}`, `${this.prefix}:${name}:buckets`];
      this.keysByName.set(name, keys);
    }
    return keys;
  }
}

/** Outcomes as one script argument: `calls|failures|slow|epoch`, or empty when there are none. */
function outcomeArgument(outcome: SharedOutcome): string {
  return outcome.calls === 0 && !outcome.probe
    ? ''
    : `${outcome.calls}|${outcome.failures}|${outcome.slow}|${outcome.epoch}`;
}

function toAdmission(reply: AdmitReply): SharedAdmission {
  if (typeof reply === 'number') {
    return {
      allowed: true,
      probe: false,
      retryAfterMs: 0,
      state: 'closed',
      epoch: reply,
      openedAt: 0,
      now: 0,
    };
  }
  const [allowed, retryAfterMs, state, probe, epoch, openedAt, now] = reply;
  return {
    allowed: allowed === 1,
    probe: probe === 1,
    retryAfterMs,
    state: state as CircuitState,
    epoch,
    openedAt,
    now,
  };
}

function toState([state, epoch, openedAt, now]: StateReply): SharedState {
  return { state: state as CircuitState, epoch, openedAt, now };
}
