import type { RecordedEvent } from './event.types';

/**
 * The documents a projection keeps, one set per tenant: the events' tenant for `evolve`, the
 * reader's for `EventStore.projection(name)`. Writes in `evolve` commit with the append (inline)
 * or with the subscription's checkpoint (async).
 */
export interface ProjectionDocuments<Doc = unknown> {
  /** The document, or null. */
  get(id: string): Promise<Doc | null>;
  /** Creates or replaces the document. */
  put(id: string, doc: Doc): Promise<void>;
  /** Deletes the document (no error if it does not exist). */
  delete(id: string): Promise<void>;
}

/**
 * A read model folded from events into documents.
 *
 * - `inline`: `evolve` runs in the append's transaction, so the documents are never behind the
 *   events (and a failing `evolve` fails the append).
 * - `async`: a catch-up subscription runs `evolve`, committing documents and checkpoint together;
 *   readers may be briefly behind.
 *
 * @example
 * ```ts
 * const ordersByStatus: ProjectionDefinition<{ count: number }> = {
 *   name: 'orders-by-status', mode: 'async', eventTypes: ['order.created', 'order.shipped'],
 *   async evolve(event, docs) {
 *     const status = event.type === 'order.created' ? 'pending' : 'shipped';
 *     const doc = (await docs.get(status)) ?? { count: 0 };
 *     await docs.put(status, { count: doc.count + 1 });
 *   },
 * };
 * ```
 */
export interface ProjectionDefinition<Doc = unknown> {
  /** A unique name; also the name of its subscription (async) and of its documents. */
  name: string;
  /** When it runs. */
  mode: 'inline' | 'async';
  /** Only these event types reach `evolve`. Default: all. */
  eventTypes?: string[];
  /** Applies one event to the documents. */
  evolve(event: RecordedEvent, documents: ProjectionDocuments<Doc>): Promise<void> | void;
}

/** Reads a projection's documents. */
export interface ProjectionReader<Doc = unknown> {
  /** One document of a tenant (default tenant when not given). */
  get(id: string, options?: { tenantId?: string }): Promise<Doc | null>;
  /** A tenant's documents ordered by id, page by page (`after`: the last id of the previous page). */
  list(options?: {
    tenantId?: string;
    limit?: number;
    after?: string;
  }): Promise<Array<{ id: string; doc: Doc }>>;
}
