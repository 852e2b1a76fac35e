import {
  type AuditedInngestEvent,
  DEFAULT_TENANT,
  type EventStore,
  type EventStoreModuleOptions,
  eventStoreAudit,
} from '@sagaline/event-store';
import type { ShopConfig } from '../config/shop-config';
import type { Database } from '../database/database';
import { experimentResults } from '../experiments/experiment-results.projection';

/** The stream of an order's domain events: the source of its history. */
export const orderStream = (orderId: string) => `order-${orderId}`;

/** The stream the Inngest audit records an order's Inngest events in (sent and triggering). */
export const orderInngestStream = (orderId: string) => `inngest-order-${orderId}`;

/**
 * The options of `EventStoreModule`: the shop's PostgreSQL (`DATABASE_URL`) or its PGlite, shared
 * with the shop's tables, with the event store's tables in a schema of their own.
 */
export function eventStoreOptions(config: Pick<ShopConfig, 'databaseUrl' | 'databaseSchema'>, db: Database) {
  const schema = `${config.databaseSchema}_events`;
  return {
    adapter: config.databaseUrl
      ? { kind: 'postgres', connectionString: config.databaseUrl, schema }
      : { kind: 'pglite', db: db.pglite, schema },
    projections: [experimentResults],
  } satisfies EventStoreModuleOptions;
}

const dataOf = (event: AuditedInngestEvent) =>
  (event.data ?? {}) as { orderId?: unknown; businessKey?: unknown; tenantId?: unknown };

/**
 * Inngest middleware recording every event the shop sends and every event that starts one of its
 * functions, with the run ids, in the event store: an order's in `inngest-order-<id>` of its
 * tenant, the others in one stream per event name. The sagas' lifecycle events name the order as
 * their business key but carry no tenant: they go to the order's stream of the default tenant,
 * which no shop tenant reads.
 */
export function shopInngestAudit(store: EventStore) {
  return eventStoreAudit(store, {
    streamId: (event) => {
      const { orderId, businessKey } = dataOf(event);
      const order = orderId ?? businessKey;
      return typeof order === 'string' ? orderInngestStream(order) : `inngest-${event.name}`;
    },
    tenantId: (event) => {
      const { tenantId } = dataOf(event);
      return typeof tenantId === 'string' ? tenantId : DEFAULT_TENANT;
    },
  });
}
