// The Lua scripts of RedisCircuitStore. Each runs atomically on Redis server time, so instance
// clocks do not matter. KEYS[1] is the breaker's state hash (`<prefix>:<name>`), KEYS[2] its
// window buckets (`<prefix>:<name>:buckets`); transitions are published on
// `<prefix>:<name>:transitions`.
//
// What a call reads and writes is one msgpack field of the state hash, `v`: state, epoch,
// openedAt, then the window: cur (the current bucket's id), fill / cf / cs (calls, failures, slow
// calls in it) and tc / tf / ts (the totals of the completed buckets). `epoch` is the state's
// version: every transition raises it, to at least the Redis clock in ms, so it keeps growing even
// if the hash is lost. Completed buckets live in the window hash (c<i> / f<i> / s<i>), written
// once per bucket. So a call in shared mode costs a HGET and a HSET: each redis.call costs about a
// microsecond, the largest part of the script. Half-open probes use the fields probes, probeOk,
// probeFail and leaseUntil. Every transition also writes the plain fields state, epoch and
// openedAt: what a shared-mode decision reads while closed (a HMGET, no script), and what an
// operator reads with redis-cli.
//
// The window counts calls, not flushes: a count window of N calls keeps buckets of ceil(N/10)
// calls and a batch is spread over them; a time window keeps one bucket per second. Running totals
// make a record O(1) (a batch completes at most 11 buckets); the rate is judged over the last N
// calls (exactly N for N <= 10; N to N + 2·ceil(N/10), scaled to N, above).
//
// Arguments are few and strings (each one costs the client time): ARGV[1] of admit and record is
// the breaker's settings, `windowType|windowSize|minimumCalls|failureRate|slowRate|wait|permitted|
// leaseMs` (built once per breaker), ARGV[2] the outcomes, `calls|failures|slow|epoch` or empty.

const PRELUDE = `
local H, W = KEYS[1], KEYS[2]
local packed = redis.call('HGET', H, 'v')
local state, epoch, openedAt, cur, fill, cf, cs, tc, tf, ts = 'closed', 0, 0, 0, 0, 0, 0, 0, 0, 0
if packed then state, epoch, openedAt, cur, fill, cf, cs, tc, tf, ts = cmsgpack.unpack(packed) end
local now

local function clock()
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end

local function save()
  redis.call('HSET', H, 'v', cmsgpack.pack(state, epoch, openedAt, cur, fill, cf, cs, tc, tf, ts))
end

local function transition(to, leaseUntil)
  epoch = math.max(epoch + 1, clock())
  state = to
  if to == 'open' or to == 'forced_open' then openedAt = now else openedAt = 0 end
  cur, fill, cf, cs, tc, tf, ts = 0, 0, 0, 0, 0, 0, 0
  redis.call('HSET', H, 'v', cmsgpack.pack(state, epoch, openedAt, cur, fill, cf, cs, tc, tf, ts),
    'state', to, 'epoch', epoch, 'openedAt', openedAt,
    'probes', 0, 'probeOk', 0, 'probeFail', 0, 'leaseUntil', leaseUntil or 0)
  redis.call('DEL', W)
  redis.call('PUBLISH', H .. ':transitions', to .. '|' .. epoch .. '|' .. openedAt .. '|' .. now)
end

-- {state, epoch, openedAt, now}; the clock is read only when an open state needs it.
local function reply()
  if state == 'open' then clock() end
  return {state, epoch, openedAt, now or 0}
end

-- Moves the current bucket into slot i of the window hash, taking out what the slot held.
local function complete(i)
  local old = redis.call('HMGET', W, 'c' .. i, 'f' .. i, 's' .. i)
  tc = tc + fill - tonumber(old[1] or '0')
  tf = tf + cf - tonumber(old[2] or '0')
  ts = ts + cs - tonumber(old[3] or '0')
  redis.call('HSET', W, 'c' .. i, fill, 'f' .. i, cf, 's' .. i, cs)
end

local wtype, size, minCalls, failRate, slowRate, wait, permitted, lease
local function configure()
  local a, b, c, d, e, f, g, h = string.match(ARGV[1],
    '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  wtype, size, minCalls, failRate, slowRate = a, tonumber(b), tonumber(c), tonumber(d), tonumber(e)
  wait, permitted, lease = tonumber(f), tonumber(g), tonumber(h)
end

-- The outcomes of ARGV[2]: calls, failures, slow calls and the epoch they were admitted under.
local function outcomes()
  if ARGV[2] == '' then return 0, 0, 0, 0 end
  local a, b, c, d = string.match(ARGV[2], '^(%d+)|(%d+)|(%d+)|(%d+)$')
  return tonumber(a), tonumber(b), tonumber(c), tonumber(d)
end

-- Adds closed-state outcomes to the window; opens the breaker when a rate crosses its threshold.
local function record()
  if ARGV[2] == '' or state ~= 'closed' then return end
  local k, fk, sk, outEpoch = outcomes()
  if k <= 0 or outEpoch < epoch then return end
  -- An instance that knows a newer version than the store holds proves the hash was lost: keep growing.
  if outEpoch > epoch then
    epoch = outEpoch
    redis.call('HSET', H, 'epoch', epoch)
  end
  configure()
  if wtype == 'time' then
    local sec, slots = math.floor(clock() / 1000), size - 1
    if sec ~= cur then
      if sec - cur >= size or slots == 0 then
        if tc > 0 then redis.call('DEL', W) end
        tc, tf, ts = 0, 0, 0
      else
        complete(cur % slots)
        -- The seconds in between had no calls: the slots they reuse hold buckets now too old.
        for id = cur + 1, sec - 1 do
          local i = id % slots
          local old = redis.call('HMGET', W, 'c' .. i, 'f' .. i, 's' .. i)
          if old[1] then
            tc, tf, ts = tc - tonumber(old[1]), tf - tonumber(old[2]), ts - tonumber(old[3])
            redis.call('HDEL', W, 'c' .. i, 'f' .. i, 's' .. i)
          end
        end
      end
      cur, fill, cf, cs = sec, 0, 0, 0
    end
    fill, cf, cs = fill + k, cf + fk, cs + sk
  else
    local bs = math.ceil(size / 10)
    local slots = math.ceil(size / bs)
    if bs == 1 then slots = size - 1 end
    if k > size then
      -- Only the batch's last N calls stay in the window; their failures are its share.
      fk = math.floor(fk * size / k + 0.5)
      sk = math.floor(sk * size / k + 0.5)
      k = size
    end
    while k > 0 do
      if fill >= bs then
        if slots > 0 then complete(cur % slots) end
        cur, fill, cf, cs = cur + 1, 0, 0, 0
      end
      local take = math.min(bs - fill, k)
      local f1 = math.floor(fk * take / k + 0.5)
      local s1 = math.floor(sk * take / k + 0.5)
      fill, cf, cs = fill + take, cf + f1, cs + s1
      k, fk, sk = k - take, fk - f1, sk - s1
    end
  end
  local calls, failed, slow = tc + fill, tf + cf, ts + cs
  local judged = math.min(calls, size)
  if calls > judged then
    failed = failed * judged / calls
    slow = slow * judged / calls
  end
  if judged >= minCalls and (failed * 100 >= failRate * judged or slow * 100 >= slowRate * judged) then
    transition('open')
  else
    save()
  end
end
`;

/**
 * Records the outcomes the caller has not sent yet, then decides one call.
 * Returns the epoch when closed (the call is allowed), else {allowed, retryAfterMs, state, probe,
 * epoch, openedAt, now}.
 */
export const ADMIT_SCRIPT = `${PRELUDE}
record()
-- The common answer, closed, is the epoch alone: the smallest reply is the cheapest to send and parse.
if state == 'closed' then return epoch end
if state == 'forced_closed' then return {1, 0, state, 0, epoch, openedAt, 0} end
if state == 'forced_open' then return {0, -1, state, 0, epoch, openedAt, 0} end
if not wait then configure() end
clock()
local p = redis.call('HMGET', H, 'probes', 'leaseUntil')
local probes, leaseUntil = tonumber(p[1] or '0'), tonumber(p[2] or '0')
if state == 'open' then
  local left = openedAt + wait - now
  if left > 0 then return {0, left, state, 0, epoch, openedAt, now} end
  leaseUntil = now + lease
  transition('half_open', leaseUntil)
  probes = 0
elseif leaseUntil < now then
  -- The round of probes was never finished (an instance died mid-probe): hand it out again.
  leaseUntil = now + lease
  probes = 0
  redis.call('HSET', H, 'probes', 0, 'probeOk', 0, 'probeFail', 0, 'leaseUntil', leaseUntil)
end
if probes < permitted then
  redis.call('HINCRBY', H, 'probes', 1)
  return {1, 0, state, 1, epoch, openedAt, now}
end
-- Probes are out: their answer usually comes long before the lease ends, so a caller is told to
-- come back after the open time (as the in-process breaker does), not after the whole lease.
return {0, math.max(1, math.min(leaseUntil - now, wait)), state, 0, epoch, openedAt, now}`;

/**
 * Records outcomes: a probe's (which may close or reopen the breaker) or closed-state calls; with
 * no calls it only reads the state. Returns {state, epoch, openedAt, now}.
 */
export const RECORD_SCRIPT = `${PRELUDE}
if ARGV[3] == '1' then
  local _, failures, slow, outEpoch = outcomes()
  if state == 'half_open' and outEpoch == epoch then
    configure()
    local ok, bad
    if failures > 0 or slow > 0 then
      bad = redis.call('HINCRBY', H, 'probeFail', 1)
      ok = tonumber(redis.call('HGET', H, 'probeOk') or '0')
    else
      ok = redis.call('HINCRBY', H, 'probeOk', 1)
      bad = tonumber(redis.call('HGET', H, 'probeFail') or '0')
    end
    if ok + bad >= permitted then
      if bad * 100 >= failRate * (ok + bad) then transition('open') else transition('closed') end
    end
  end
else
  record()
end
return reply()`;

/**
 * An instance's own calls tripped the breaker: open it for everyone, unless the store moved past
 * the state the instance tripped from. ARGV: knownEpoch. Returns {state, epoch, openedAt, now}.
 */
export const TRIP_SCRIPT = `${PRELUDE}
local known = tonumber(ARGV[1])
if state == 'closed' and epoch <= known then
  epoch = known
  transition('open')
end
return reply()`;

/** Forces a state ('reset': closed, empty window). ARGV: target. Returns {state, epoch, openedAt, now}. */
export const FORCE_SCRIPT = `${PRELUDE}
transition(ARGV[1] == 'reset' and 'closed' or ARGV[1])
return reply()`;
