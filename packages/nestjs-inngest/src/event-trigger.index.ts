/**
 * @internal The event names an app's functions listen to, exact or as wildcards (`order/*`), to
 * tell whether a sent event starts anything.
 */
export class EventTriggerIndex {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];

  constructor(patterns: Iterable<string>) {
    for (const pattern of patterns) {
      if (pattern.endsWith('*')) this.prefixes.push(pattern.slice(0, -1));
      else this.exact.add(pattern);
    }
  }

  /** Whether an event of this name triggers at least one of the functions. */
  matches(name: string): boolean {
    return this.exact.has(name) || this.prefixes.some((prefix) => name.startsWith(prefix));
  }
}

/** @internal The event patterns of a function's triggers (one trigger or several; crons have none). */
export function triggerEvents(triggers: unknown): string[] {
  const list = Array.isArray(triggers) ? triggers : triggers === undefined ? [] : [triggers];
  return list.flatMap((trigger) => {
    const event = (trigger as { event?: unknown } | null)?.event;
    return typeof event === 'string' && event !== '' ? [event] : [];
  });
}
