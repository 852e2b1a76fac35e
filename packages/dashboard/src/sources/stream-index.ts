import { pageOf } from './paging';
import type { AppendedStreamLike, EventStoreLike, StoredEventLike, SubscriptionLike } from './source.types';

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
  /**
   * Events of its types committed after its checkpoint, counted up to 1,000 (`lagCapped` past
   * that); `null` (unknown) while this instance has handled none, as after a restart or while
   * another process holds the subscription.
   */
  lag: number | null;
  lagCapped: boolean;
  lastError: string | null;
}

const ALL_TENANTS = '*';
const BATCH = 1000;
/** Events read per request at most, so that a large store's first visit stays quick; the rest follow on the next visits. */
const READ_PER_VISIT = 20_000;
const LAG_CAP = 1000;
/** Appended streams kept to read at the next visit at most; past that the oldest notices go (the global order brings them anyway). */
const MAX_PENDING = 1000;
/** Heads of appended streams read at once. */
const PENDING_READS = 20;

/**
 * @internal The streams and categories of the event store, which has no list of them: read from
 * the global order once, then only what was appended since, when the streams page asks.
 */
export class StreamIndex {
  private readonly streams = new Map<string, StreamSummary>();
  /** Streams this process appended to, whose heads the next visit reads. */
  private readonly pending = new Map<string, AppendedStreamLike>();
  private checkpoint: string | undefined;
  private reading: Promise<boolean> | null = null;
  /** Whether the whole store has been read. */
  complete = false;

  constructor(private readonly store: EventStoreLike) {}

  /**
   * Streams this process appended to. On PostgreSQL the global order may not show an append yet
   * (it waits for older transactions) while the stream itself does: the next `refresh` reads each
   * one's head, so the list shows it at once.
   */
  noteAppended(streams: AppendedStreamLike[]): void {
    for (const stream of streams) {
      const key = keyOf(stream);
      this.pending.delete(key);
      this.pending.set(key, stream);
      if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    }
  }

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
        const summary = {
          name: subscription.name,
          checkpoint: subscription.checkpoint,
          lastError: subscription.lastError?.message ?? null,
        };
        // no checkpoint here says nothing of the stored one: counting from the start would be wrong
        if (!subscription.checkpoint) return { ...summary, lag: null, lagCapped: false };
        const types = typesOf(subscription);
        const { events } = await this.store.readAll({
          after: subscription.checkpoint,
          tenantId: subscription.tenantId ?? ALL_TENANTS,
          maxCount: LAG_CAP,
          ...(types ? { types } : {}),
        });
        return { ...summary, lag: events.length, lagCapped: events.length >= LAG_CAP };
      }),
    );
  }

  private async readOn(): Promise<boolean> {
    const reachedEnd = await this.readGlobalOrder();
    await this.readPending();
    return reachedEnd;
  }

  private async readGlobalOrder(): Promise<boolean> {
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

  private async readPending(): Promise<void> {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (let start = 0; start < due.length; start += PENDING_READS) {
      await Promise.all(
        due.slice(start, start + PENDING_READS).map(async ({ tenantId, streamId }) => {
          const { events } = await this.store.readStream(streamId, {
            tenantId,
            direction: 'backward',
            maxCount: 1,
          });
          if (events[0]) this.add(events[0]);
        }),
      );
    }
  }

  private add(event: StoredEventLike): void {
    const key = keyOf(event);
    // a head read ahead of the global order must not go back when that order catches up
    if ((this.streams.get(key)?.version ?? 0) > event.streamVersion) return;
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

const keyOf = (stream: AppendedStreamLike) => `${stream.tenantId}\u0000${stream.streamId}`;

/** The event types a subscription handles, when it names them (kept privately, so read duck-typed). */
function typesOf(subscription: SubscriptionLike): string[] | undefined {
  const { types } = subscription;
  return Array.isArray(types) && types.length > 0 && types.every((type) => typeof type === 'string')
    ? [...types]
    : undefined;
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
