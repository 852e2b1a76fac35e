import { UpcastError } from './event-store.errors';

/**
 * Turns a stored payload of one schema version into the next version's shape. Registered per
 * event type and version; run on read, so old events never need rewriting.
 *
 * @example
 * ```ts
 * // v1 had `amount` in dollars, v2 has `amountCents`.
 * const upcaster: Upcaster = { type: 'payment.processed', fromVersion: 1, upcast: ({ amount, ...rest }) => ({ ...rest, amountCents: Math.round(amount * 100) }) };
 * ```
 */
export interface Upcaster {
  /** The event type. */
  type: string;
  /** The stored version this upcaster reads; it produces `fromVersion + 1`. */
  fromVersion: number;
  /** Transforms the payload (must be pure: it runs on every read). */
  upcast: (data: any) => unknown;
}

/** @internal The chains of upcasters by event type. */
export class UpcasterChain {
  private readonly byType = new Map<string, Map<number, Upcaster['upcast']>>();
  private readonly latest = new Map<string, number>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const [index, upcaster] of upcasters.entries()) {
      const { type, fromVersion, upcast } = upcaster;
      if (
        typeof type !== 'string' ||
        !Number.isSafeInteger(fromVersion) ||
        fromVersion < 1 ||
        typeof upcast !== 'function'
      ) {
        throw new UpcastError(
          String(type),
          Number(fromVersion),
          `upcasters[${index}] needs a type, a fromVersion of 1 or more and an upcast function.`,
        );
      }
      const chain = this.byType.get(type) ?? new Map();
      if (chain.has(fromVersion))
        throw new UpcastError(
          type,
          fromVersion,
          `upcasters[${index}]: "${type}" already has an upcaster from version ${fromVersion}.`,
        );
      chain.set(fromVersion, upcast);
      this.byType.set(type, chain);
      this.latest.set(type, Math.max(this.latest.get(type) ?? 1, fromVersion + 1));
    }
  }

  /** The version new events of `type` are written with. */
  latestVersion(type: string): number {
    return this.latest.get(type) ?? 1;
  }

  get isEmpty(): boolean {
    return this.byType.size === 0;
  }

  /** Upcasts `data` from `version` to the latest; returns the new data and version. */
  apply(type: string, version: number, data: unknown): { data: unknown; version: number } {
    const chain = this.byType.get(type);
    if (!chain) return { data, version };
    const latest = this.latest.get(type)!;
    let current = version;
    let value = data;
    while (current < latest) {
      const upcast = chain.get(current);
      if (!upcast)
        throw new UpcastError(
          type,
          version,
          `"${type}" v${version} cannot be upcast: no upcaster from version ${current}. Register one.`,
        );
      try {
        value = upcast(value);
      } catch (error) {
        throw new UpcastError(
          type,
          version,
          `Upcasting "${type}" from v${current} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
      current++;
    }
    return { data: value, version: current };
  }
}
