import type { RegisteredFunction, RunFlowKeys, RunRecord } from '../engine.types';
import { celValue } from '../expressions';
import { parseDuration } from '../time';

/** The server keeps an idempotency key for 24 hours. */
const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
const PRUNE_EVERY = 1_000;

/** @internal Why an event starts no run of a function, or which runs a new one replaces. */
export type Admission =
  | { admitted: true; keys: FlowKeys; replaces: RunRecord[] }
  | { admitted: false; reason: 'idempotency' | 'rateLimit' | 'singleton' };

/** @internal The flow-control keys a run was admitted under, stored with the run. */
export type FlowKeys = RunFlowKeys;

/**
 * @internal Idempotency, rate limiting and singletons, decided when an event would start a run.
 * Everything it knows is derived from the runs themselves (their `flow` keys and start times), so
 * a restarted engine rebuilds it from the store with `remember()` and decides as before.
 */
export class FlowControl {
  private readonly idempotency = new Map<string, number>();
  private readonly starts = new Map<string, number[]>();
  private readonly throttled = new Map<string, number[]>();
  private decisions = 0;

  /** Learns what a stored run holds: its idempotency key and its place in a rate-limit window. */
  remember(run: RunRecord): void {
    if (run.flow?.idempotency) {
      this.idempotency.set(run.flow.idempotency, run.createdAt + IDEMPOTENCY_WINDOW_MS);
    }
    if (run.flow?.rateLimit) insertSorted(this.starts, run.flow.rateLimit, run.createdAt);
    if (run.flow?.throttle) insertSorted(this.throttled, run.flow.throttle, run.scheduledAt ?? run.createdAt);
  }

  /**
   * When a throttled run may start: at most `limit` (plus `burst`) starts in any window of
   * `period` per key; later runs wait their turn, in order, rather than being dropped.
   */
  throttleStart(
    fn: RegisteredFunction,
    event: RunRecord['event'],
    now: number,
  ): { key: string; at: number } | undefined {
    const throttle = fn.throttle as
      | { limit: number; period: string; burst?: number; key?: string }
      | undefined;
    if (!throttle || throttle.limit <= 0) return undefined;
    const key = scopedKey(fn, throttle.key, event);
    const period = parseDuration(throttle.period) ?? 0;
    const capacity = throttle.limit + (throttle.burst ?? 0);
    const starts = (this.throttled.get(key) ?? []).filter((at) => at > now - period);
    this.throttled.set(key, starts);
    const at = starts.length < capacity ? now : starts[starts.length - capacity]! + period;
    return { key, at };
  }

  /**
   * Whether `event` may start a run of `fn` now. `running` are the function's runs in progress
   * (for singletons). An admitted run must then be `remember`ed.
   */
  admit(fn: RegisteredFunction, event: RunRecord['event'], now: number, running: RunRecord[]): Admission {
    if (++this.decisions % PRUNE_EVERY === 0) this.prune(now);
    const keys: FlowKeys = {};
    const idempotency = stringOption(fn.idempotency);
    if (idempotency !== undefined) {
      keys.idempotency = scopedKey(fn, idempotency, event);
      if ((this.idempotency.get(keys.idempotency) ?? 0) > now)
        return { admitted: false, reason: 'idempotency' };
    }
    const rateLimit = fn.rateLimit as { limit: number; period: string; key?: string } | undefined;
    if (rateLimit && rateLimit.limit > 0) {
      keys.rateLimit = scopedKey(fn, rateLimit.key, event);
      const period = parseDuration(rateLimit.period) ?? 0;
      const recent = (this.starts.get(keys.rateLimit) ?? []).filter((at) => at > now - period);
      this.starts.set(keys.rateLimit, recent);
      if (recent.length >= rateLimit.limit) return { admitted: false, reason: 'rateLimit' };
    }
    let replaces: RunRecord[] = [];
    const singleton = fn.singleton as { key?: string; mode: 'skip' | 'cancel' } | undefined;
    if (singleton) {
      keys.singleton = scopedKey(fn, singleton.key, event);
      const holders = running.filter((run) => run.flow?.singleton === keys.singleton);
      if (holders.length > 0 && singleton.mode !== 'cancel') return { admitted: false, reason: 'singleton' };
      replaces = holders;
    }
    return { admitted: true, keys, replaces };
  }

  private prune(now: number): void {
    for (const [key, expiresAt] of this.idempotency) if (expiresAt <= now) this.idempotency.delete(key);
  }
}

/** Whether a function's runs carry keys that a restarted engine must relearn from the store. */
export function usesRememberedKeys(fn: RegisteredFunction): boolean {
  return (
    stringOption(fn.idempotency) !== undefined || fn.rateLimit !== undefined || fn.throttle !== undefined
  );
}

/**
 * How far back a restarted engine must look at `fn`'s stored runs to decide as before: the longest
 * of its windows (idempotency 24 hours, the rate limit's and the throttle's periods).
 */
export function rememberedWindowMs(fn: RegisteredFunction): number {
  const periods = [fn.rateLimit, fn.throttle].map(
    (limit) => parseDuration((limit as { period?: string } | undefined)?.period) ?? 0,
  );
  return Math.max(stringOption(fn.idempotency) !== undefined ? IDEMPOTENCY_WINDOW_MS : 0, ...periods);
}

function insertSorted(index: Map<string, number[]>, key: string, at: number): void {
  const times = index.get(key) ?? [];
  times.push(at);
  times.sort((a, b) => a - b);
  index.set(key, times);
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** @internal A key per function and, given an expression, per value of it for this event. */
export function scopedKey(
  fn: RegisteredFunction,
  expression: string | undefined,
  event: RunRecord['event'],
): string {
  if (!expression) return fn.id;
  return `${fn.id}\u0000${JSON.stringify(celValue(expression, { event }) ?? null)}`;
}
