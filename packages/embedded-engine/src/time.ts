const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * @internal Parses an Inngest time string (`"30s"`, `"1h30m"`, `"2d"`) into milliseconds;
 * `undefined` when it is not one.
 */
export function parseDuration(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value.replace(/\s+/g, '')) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0);
}

/** @internal When a `Sleep` op ends: its name is a time string (sleep) or an ISO date (sleepUntil). */
export function sleepDueAt(name: string, now: number): number {
  const duration = parseDuration(name);
  if (duration !== undefined) return now + duration;
  const date = Date.parse(name);
  return Number.isNaN(date) ? now : date;
}
