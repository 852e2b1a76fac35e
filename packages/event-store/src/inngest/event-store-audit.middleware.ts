import { Logger } from '@nestjs/common';
import { Middleware } from 'inngest';
import { getAsyncCtx } from 'inngest/experimental';
import { DEFAULT_TENANT } from '../event.types';
import type { EventStore } from '../event-store';

/** An Inngest event as the audit sees it. */
export interface AuditedInngestEvent {
  /** The event's id (set by Inngest when the sender gave none). */
  id: string;
  /** The event's name. */
  name: string;
  /** Its payload. */
  data: unknown;
  /** When it happened (ms since the epoch), if known. */
  ts?: number;
}

/** Options of `eventStoreAudit`. */
export interface EventStoreAuditOptions {
  /** The stream an event is recorded in. Default: its name, so each name is one category stream. */
  streamId?: (event: AuditedInngestEvent) => string;
  /** The tenant an event belongs to. Default `DEFAULT_TENANT`. */
  tenantId?: (event: AuditedInngestEvent) => string | undefined;
  /** Events not to record, such as Inngest's own `inngest/*` events. Default: those. */
  skip?: (event: AuditedInngestEvent) => boolean;
  /**
   * Also record an `inngest/run.started` event per run (function id, run id, triggering event
   * ids) in the triggering event's stream: an event the app sent is stored when sent, before any
   * run exists, so this is where its runs are linked to it. Default true.
   */
  recordRuns?: boolean;
}

/**
 * How many recorded events the middleware remembers: a run triggered by an event this process
 * recorded already (as it sent it, or for another run of it) skips recording it again, an
 * idempotent append but a round trip each run.
 */
const REMEMBERED_EVENT_IDS = 10_000;

/** The type of the event `eventStoreAudit` records when a run starts. */
export const RUN_STARTED_EVENT = 'inngest/run.started';

/**
 * Inngest middleware (v4 API) that records into the event store every event the app sends and
 * every event that triggers one of its functions, with the Inngest event id as the event id (so
 * each is stored once, however often it is sent, retried or delivered) and the run id in the
 * metadata. A failure to record a sent event is logged, not thrown: the event is already sent.
 * A failure to record a triggering event fails the request, so Inngest retries the run and the
 * audit is complete.
 *
 * @example
 * ```ts
 * InngestModule.forRootAsync({
 *   inject: [EventStore],
 *   useFactory: (store: EventStore) => ({
 *     appId: 'shop',
 *     middleware: [eventStoreAudit(store, { streamId: (e) => `order-${(e.data as { orderId: string }).orderId}` })],
 *   }),
 * })
 * ```
 */
export function eventStoreAudit(store: EventStore, options: EventStoreAuditOptions = {}): Middleware.Class {
  const streamOf = options.streamId ?? ((event) => event.name);
  const tenantOf = options.tenantId ?? (() => DEFAULT_TENANT);
  const skip = options.skip ?? ((event) => event.name.startsWith('inngest/'));
  const recordRuns = options.recordRuns ?? true;
  const logger = new Logger('EventStoreAudit');
  /** Events recorded by this process, by tenant and id (ids are unique per tenant), oldest first. */
  const recorded = new Set<string>();
  const recordKey = (event: AuditedInngestEvent) =>
    JSON.stringify([tenantOf(event) ?? DEFAULT_TENANT, event.id]);
  const remember = (event: AuditedInngestEvent) => {
    recorded.add(recordKey(event));
    if (recorded.size > REMEMBERED_EVENT_IDS) recorded.delete(recorded.values().next().value as string);
  };

  const record = async (event: AuditedInngestEvent, runId: string | undefined) => {
    if (skip(event)) return;
    await store.appendToStream(
      streamOf(event),
      [
        {
          id: event.id,
          type: event.name,
          data: event.data ?? null,
          metadata: {
            inngestEventId: event.id,
            ...(runId ? { inngestRunId: runId } : {}),
            ...(event.ts ? { occurredAt: event.ts } : {}),
          },
        },
      ],
      { tenantId: tenantOf(event) ?? DEFAULT_TENANT },
    );
    remember(event);
  };

  return class EventStoreAuditMiddleware extends Middleware.BaseMiddleware {
    readonly id = 'sagaline:event-store-audit';

    override async wrapSendEvent({ events, next }: Middleware.WrapSendEventArgs) {
      const output = await next();
      const runId = (await getAsyncCtx())?.execution?.ctx.runId;
      // The sender's id when it gave one: Inngest answers a new internal id for each send, so a
      // retried send recorded under it would be recorded twice.
      const sent = events.map(
        (event, index) => ({ ...event, id: event.id || output.ids[index] }) as AuditedInngestEvent,
      );
      try {
        for (const event of sent) if (event.id) await record(event, runId);
      } catch (error) {
        logger.error(
          `Could not record sent events ${sent.map((e) => e.id).join(', ')}: ${(error as Error).message}`,
        );
      }
      return output;
    }

    override async onRunStart({ ctx, fn }: Middleware.OnRunStartArgs) {
      const triggers = (ctx.events as readonly AuditedInngestEvent[]).filter(
        (event) => event.id && !skip(event),
      );
      for (const event of triggers) if (!recorded.has(recordKey(event))) await record(event, ctx.runId);
      const first = triggers[0];
      if (!recordRuns || !first) return;
      await store.appendToStream(
        streamOf(first),
        [
          {
            id: `${ctx.runId}:started`,
            type: RUN_STARTED_EVENT,
            data: {
              runId: ctx.runId,
              functionId: fn.id(this.client.id),
              eventIds: triggers.map((e) => e.id),
            },
            metadata: { inngestRunId: ctx.runId, inngestEventId: first.id, causationId: first.id },
          },
        ],
        { tenantId: tenantOf(first) ?? DEFAULT_TENANT },
      );
    }
  };
}
