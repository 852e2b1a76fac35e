/**
 * Inngest's own retry schedule (its Go server's `backoff` table): the delay before retry n.
 * Each delay gets up to 30 s of jitter, as on the server.
 */
const INNGEST_BACKOFF_MS = [15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 1_200e3, 2_400e3, 3_600e3, 7_200e3];
const MAX_JITTER_MS = 30e3;

/** @internal Delay before the retry that follows failed attempt `attempt` (0-based), scaled. */
export function retryDelay(attempt: number, scale: number, random: () => number = Math.random): number {
  const base = INNGEST_BACKOFF_MS[Math.min(attempt, INNGEST_BACKOFF_MS.length - 1)]!;
  return Math.round((base + random() * MAX_JITTER_MS) * scale);
}

/**
 * @internal Parses a `retry-after` header: whole seconds or an HTTP/ISO date; clamped to
 * [1 s, 24 h] like Inngest. Not scaled: it is the app's own instruction.
 */
export function retryAfterDelay(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - now;
  if (Number.isNaN(seconds)) return undefined;
  return Math.round(Math.min(Math.max(seconds, 1000), 86_400_000));
}
