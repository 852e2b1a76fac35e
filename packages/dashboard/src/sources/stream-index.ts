import { pageOf } from './paging';
import type { EventStoreLike, StoredEventLike, SubscriptionLike } from './source.types';

/** A stream of the event store, as the stream list shows it. */
export interface StreamSummary {
  tenantId: string;
  streamId: string;
  /** The part of the id before its first `-` (`order` of `order-42`). */
  category: string;
  /** Its version: the number of events in it. */
  version: number;
  lastType: string;
  lastAt: string;
  /** Its last event's global position. */
  position: number;
}

/** A subscription's position and how far it is behind. */
export interface SubscriptionSummary {
  name: string;
  checkpoint: string | null;
  /** Events committed after its checkpoint, counted up to 1,000 (`lagCapped` past that). */
  lag: number;
  lagCapped: boolean;
  lastError: string | null;
}

const ALL_TENANTS = '*';
const BATCH = 1000;
/** Events read per request at most, so that a large store's first visit stays quick; the rest follow on the next visits. */
const READ_PER_VISIT = 20_000;
const LAG_CAP = 1000;

/**
 * @internal The streams and categories of the event store, which has no list of them: read from
 * the global order once, then only what was appended since, when the streams page asks.
 */
export class StreamIndex {
  private readonly streams = new Map<string, StreamSummary>();
  private checkpoint: string | undefined;
  private reading: Promise<boolean> | null = null;
  /** Whether the whole store has been read. */
  complete = false;

  constructor(private readonly store: EventStoreLike) {}

  /** Reads what was appended since the last call (bounded); resolves whether it reached the end. */
  refresh(): Promise<boolean> {
    this.reading ??= this.readOn().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  list(query: { category?: string; tenantId?: string; q?: string; page?: number; size?: number }) {
    const categories: Record<string, number> = {};
    const matches: StreamSummary[] = [];
    for (const stream of this.streams.values()) {
      if (query.tenantId && stream.tenantId !== query.tenantId) continue;
      categories[stream.category] = (categories[stream.category] ?? 0) + 1;
      if (query.category && stream.category !== query.category) continue;
      if (query.q && !stream.streamId.includes(query.q)) continue;
      matches.push(stream);
    }
    matches.sort((a, b) => b.position - a.position);
    const tenants = [...new Set([...this.streams.values()].map((stream) => stream.tenantId))].sort();
    return {
      ...pageOf(matches, query, 50),
      categories,
      tenants,
      complete: this.complete,
    };
  }

  /** Each subscription's checkpoint and lag. */
  async subscriptions(subscriptions: SubscriptionLike[]): Promise<SubscriptionSummary[]> {
    return Promise.all(
      subscriptions.map(async (subscription) => {
        const { events } = await this.store.readAll({
          ...(subscription.checkpoint ? { after: subscription.checkpoint } : {}),
          tenantId: subscription.tenantId ?? ALL_TENANTS,
          maxCount: LAG_CAP,
        });
        return {
          name: subscription.name,
          checkpoint: subscription.checkpoint,
          lag: events.length,
          lagCapped: events.length >= LAG_CAP,
          lastError: subscription.lastError?.message ?? null,
        };
      }),
    );
  }

  private async readOn(): Promise<boolean> {
    for (let read = 0; read < READ_PER_VISIT; read += BATCH) {
      const { events, checkpoint } = await this.store.readAll({
        tenantId: ALL_TENANTS,
        maxCount: BATCH,
        ...(this.checkpoint ? { after: this.checkpoint } : {}),
      });
      for (const event of events) this.add(event);
      this.checkpoint = checkpoint;
      if (events.length < BATCH) {
        this.complete = true;
        return true;
      }
    }
    this.complete = false;
    return false;
  }

  private add(event: StoredEventLike): void {
    const key = `${event.tenantId}\u0000${event.streamId}`;
    const dash = event.streamId.indexOf('-');
    this.streams.set(key, {
      tenantId: event.tenantId,
      streamId: event.streamId,
      category: dash > 0 ? event.streamId.slice(0, dash) : event.streamId,
      version: event.streamVersion,
      lastType: event.type,
      lastAt: new Date(event.timestamp).toISOString(),
      position: event.globalPosition,
    });
  }
}

/**
 * @internal The subscriptions an event store runs in this process. The store keeps them privately
 * (there is no public list yet), so they are read duck-typed, and none are shown if it changes.
 */
export function runningSubscriptions(store: EventStoreLike): SubscriptionLike[] {
  const held = (store as unknown as { subscriptions?: unknown }).subscriptions;
  if (!(held instanceof Set)) return [];
  return [...held].filter(
    (subscription): subscription is SubscriptionLike =>
      typeof subscription === 'object' && subscription !== null && typeof subscription.name === 'string',
  );
}
