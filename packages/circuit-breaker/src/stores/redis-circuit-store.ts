import type { Redis } from 'ioredis';
import type { CircuitBreakerOptions, CircuitState } from '../breaker.options';
import type { SharedAdmission, SharedCircuitStore, SharedState } from './circuit-store';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// One script per decision, run atomically on Redis server time.
const ADMIT = `${NOW}
local h = redis.call('HMGET', KEYS[1], 'state', 'openedAt', 'probes', 'leaseUntil')
local state = h[1] or 'closed'
if state == 'closed' or state == 'forced_closed' then return {1, 0, state, 0} end
if state == 'forced_open' then return {0, -1, state, 0} end
local wait = tonumber(ARGV[1])
local probes = tonumber(h[3] or '0')
if state == 'open' then
  local left = tonumber(h[2]) + wait - now
  if left > 0 then return {0, left, state, 0} end
  state = 'half_open'
  probes = 0
  redis.call('HSET', KEYS[1], 'state', state, 'probes', 0, 'probeOk', 0, 'probeFail', 0, 'leaseUntil', now + tonumber(ARGV[3]))
elseif tonumber(h[4] or '0') < now then
  probes = 0
  redis.call('HSET', KEYS[1], 'probes', 0, 'probeOk', 0, 'probeFail', 0, 'leaseUntil', now + tonumber(ARGV[3]))
end
if probes < tonumber(ARGV[2]) then
  redis.call('HINCRBY', KEYS[1], 'probes', 1)
  return {1, 0, state, 1}
end
return {0, math.max(1, tonumber(h[4] or now) - now), state, 0}`;

const RECORD = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local function open()
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', now)
  redis.call('DEL', KEYS[2])
  return {'open', now}
end
local function close()
  redis.call('HSET', KEYS[1], 'state', 'closed')
  redis.call('DEL', KEYS[2])
  return {'closed', 0}
end
local calls, failures, slow = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[4] == '1' then
  if state ~= 'half_open' then return {state, tonumber(redis.call('HGET', KEYS[1], 'openedAt') or '0')} end
  if failures > 0 or slow > 0 then redis.call('HINCRBY', KEYS[1], 'probeFail', 1) else redis.call('HINCRBY', KEYS[1], 'probeOk', 1) end
  local ok = tonumber(redis.call('HGET', KEYS[1], 'probeOk') or '0')
  local bad = tonumber(redis.call('HGET', KEYS[1], 'probeFail') or '0')
  if ok + bad >= tonumber(ARGV[10]) then
    if bad * 100 / (ok + bad) >= tonumber(ARGV[8]) then return open() end
    return close()
  end
  return {state, 0}
end
if state ~= 'closed' or calls == 0 then return {state, tonumber(redis.call('HGET', KEYS[1], 'openedAt') or '0')} end
redis.call('LPUSH', KEYS[2], now .. ':' .. calls .. ':' .. failures .. ':' .. slow)
local entries = redis.call('LRANGE', KEYS[2], 0, -1)
local tc, tf, ts, keep = 0, 0, 0, 0
for i, entry in ipairs(entries) do
  local ets, ec, ef, es = string.match(entry, '(%d+):(%d+):(%d+):(%d+)')
  if ARGV[5] == 'time' and tonumber(ets) <= now - tonumber(ARGV[6]) * 1000 then break end
  if ARGV[5] == 'count' and tc >= tonumber(ARGV[6]) then break end
  tc = tc + tonumber(ec)
  tf = tf + tonumber(ef)
  ts = ts + tonumber(es)
  keep = i
end
redis.call('LTRIM', KEYS[2], 0, keep - 1)
redis.call('PEXPIRE', KEYS[2], 86400000)
if tc >= tonumber(ARGV[7]) and (tf * 100 / tc >= tonumber(ARGV[8]) or ts * 100 / tc >= tonumber(ARGV[9])) then return open() end
return {'closed', 0}`;

/** Options of `RedisCircuitStore`. */
export interface RedisCircuitStoreOptions {
  /** An `ioredis` client the app owns. Create it with `enableOfflineQueue: false` so an outage fails fast. */
  redis: Redis;
  /** Prefix of every key. Default `circuit`. */
  keyPrefix?: string;
  /** How long a half-open probe lease lasts before an unfinished probe is handed out again (ms). Default 30000. */
  probeLeaseMs?: number;
}

type Scripted = Redis & {
  sagalineCircuitAdmit(
    key: string,
    wait: number,
    permitted: number,
    lease: number,
  ): Promise<[number, number, string, number]>;
  sagalineCircuitRecord(
    hash: string,
    list: string,
    ...args: Array<string | number>
  ): Promise<[string, number]>;
};

/**
 * Breaker state in Redis, shared by every instance: one Lua script per decision, on Redis server
 * time, with probe leases so that exactly the permitted probes pass across all instances.
 */
export class RedisCircuitStore implements SharedCircuitStore {
  private readonly redis: Scripted;
  private readonly prefix: string;
  private readonly leaseMs: number;

  constructor(options: RedisCircuitStoreOptions) {
    this.redis = options.redis as Scripted;
    this.prefix = options.keyPrefix ?? 'circuit';
    this.leaseMs = options.probeLeaseMs ?? 30_000;
    this.redis.defineCommand('sagalineCircuitAdmit', { numberOfKeys: 1, lua: ADMIT });
    this.redis.defineCommand('sagalineCircuitRecord', { numberOfKeys: 2, lua: RECORD });
  }

  async admit(name: string, options: CircuitBreakerOptions): Promise<SharedAdmission> {
    const [allowed, retryAfterMs, state, probe] = await this.redis.sagalineCircuitAdmit(
      this.key(name),
      options.waitDurationInOpenState,
      options.permittedNumberOfCallsInHalfOpenState,
      this.leaseMs,
    );
    return {
      allowed: allowed === 1,
      probe: probe === 1,
      retryAfterMs: Number(retryAfterMs),
      state: state as CircuitState,
    };
  }

  async record(
    name: string,
    options: CircuitBreakerOptions,
    outcome: { calls: number; failures: number; slow: number; probe: boolean },
  ): Promise<SharedState> {
    const [state, openedAt] = await this.redis.sagalineCircuitRecord(
      this.key(name),
      `${this.key(name)}:window`,
      outcome.calls,
      outcome.failures,
      outcome.slow,
      outcome.probe ? 1 : 0,
      options.slidingWindowType,
      options.slidingWindowSize,
      options.minimumNumberOfCalls,
      options.failureRateThreshold,
      options.slowCallRateThreshold,
      options.permittedNumberOfCallsInHalfOpenState,
    );
    return { state: state as CircuitState, openedAt: Number(openedAt) };
  }

  async force(name: string, state: CircuitState | 'reset'): Promise<void> {
    if (state === 'reset') {
      await this.redis.del(this.key(name), `${this.key(name)}:window`);
      return;
    }
    await this.redis.hset(
      this.key(name),
      'state',
      state,
      'openedAt',
      Date.now(),
      'probes',
      0,
      'probeOk',
      0,
      'probeFail',
      0,
    );
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }
}
