import type { EventStore } from '@sagaline/event-store';
import type { Queryable } from '../database/database';

/**
 * An event the shop has committed to send: stored in the same transaction as the change it
 * announces, and sent by `OutboxRelay` until Inngest accepts it.
 */
export interface OutboxEvent {
  /** The Inngest event id: Inngest starts nothing twice for one id, so a re-send is harmless. */
  id: string;
  tenantId: string;
  name: string;
  data: Record<string, unknown>;
  /** Also recorded in this event-store stream (idempotently, by `history.eventId`) before it is sent. */
  history?: { streamId: string; eventId: string; type: string };
}

/**
 * Records an outbox event in its event-store stream, if it names one (`history`); recording it
 * again stores nothing (the append is idempotent by `history.eventId`). The relay does this before
 * it sends the event, and an order's first change does it when the relay has not yet.
 */
export async function recordHistory(
  store: EventStore,
  event: Pick<OutboxEvent, 'tenantId' | 'data' | 'history'>,
): Promise<void> {
  if (!event.history) return;
  await store.appendToStream(
    event.history.streamId,
    [{ id: event.history.eventId, type: event.history.type, data: event.data }],
    { tenantId: event.tenantId },
  );
}

/** A stored event waiting to be sent. */
export interface PendingOutboxEvent extends OutboxEvent {
  attempts: number;
}

/** Adds the event to the outbox inside the caller's transaction; a second add of one id changes nothing. */
export async function enqueue(tx: Queryable, event: OutboxEvent): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (id, tenant_id, name, data, history) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [event.id, event.tenantId, event.name, JSON.stringify(event.data), JSON.stringify(event.history ?? null)],
  );
}

/** The events due to be sent, oldest first. */
export async function due(db: Queryable, limit: number): Promise<PendingOutboxEvent[]> {
  const rows = await db.query<{
    id: string;
    tenant_id: string;
    name: string;
    data: Record<string, unknown>;
    history: OutboxEvent['history'] | null;
    attempts: number;
  }>(
    `SELECT id, tenant_id, name, data, history, attempts FROM outbox
     WHERE next_attempt_at <= now() ORDER BY created_at, id LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    data: row.data,
    ...(row.history ? { history: row.history } : {}),
    attempts: row.attempts,
  }));
}

/** Forgets events Inngest has accepted. */
export async function sent(db: Queryable, ids: string[]): Promise<void> {
  await db.query('DELETE FROM outbox WHERE id = ANY($1::text[])', [ids]);
}

/** Puts events back for a later attempt, with why the last one failed. */
export async function postpone(db: Queryable, ids: string[], delayMs: number, reason: string): Promise<void> {
  await db.query(
    `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
       next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = ANY($1::text[])`,
    [ids, reason, delayMs],
  );
}

/** How many events wait to be sent (for `/health/detailed` and the tests). */
export async function backlog(db: Queryable): Promise<number> {
  const [row] = await db.query<{ count: string }>('SELECT count(*) AS count FROM outbox');
  return Number(row?.count ?? 0);
}
