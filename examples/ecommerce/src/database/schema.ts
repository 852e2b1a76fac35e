import type { Database } from './database';

/**
 * The shop's tables; its events live in `@sagaline/event-store` (schema `<schema>_events`). Orders
 * keep their read model as JSON next to the columns the API filters on, with the ids of the events
 * applied so far. Stock is one row per product with a conditional UPDATE as the reservation, so two
 * orders can never take the last item together. The outbox holds the events committed with a
 * change and not yet sent to Inngest.
 */
const TABLES = `
CREATE TABLE IF NOT EXISTS orders (
  tenant_id    text NOT NULL,
  id           text NOT NULL,
  customer_id  text NOT NULL,
  status       text NOT NULL,
  total        bigint NOT NULL,
  currency     text NOT NULL,
  document     jsonb NOT NULL,
  applied      jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE orders ADD COLUMN IF NOT EXISTS idempotency_key text;
CREATE UNIQUE INDEX IF NOT EXISTS orders_by_idempotency_key ON orders (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (tenant_id, status, id);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (tenant_id, customer_id, id);

CREATE TABLE IF NOT EXISTS stock (
  tenant_id    text NOT NULL,
  product_id   text NOT NULL,
  available    integer NOT NULL CHECK (available >= 0),
  reserved     integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  PRIMARY KEY (tenant_id, product_id)
);

CREATE TABLE IF NOT EXISTS reservations (
  tenant_id    text NOT NULL,
  id           text NOT NULL,
  reference    text NOT NULL,
  lines        jsonb NOT NULL,
  status       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE IF NOT EXISTS payments (
  tenant_id    text NOT NULL,
  id           text NOT NULL,
  order_id     text,
  status       text NOT NULL,
  amount       bigint NOT NULL,
  currency     text NOT NULL,
  document     jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
  tenant_id    text NOT NULL,
  scope        text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status_code  integer,
  response     jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope, key)
);
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS locked_until timestamptz;

CREATE TABLE IF NOT EXISTS payment_tokens (
  tenant_id    text NOT NULL,
  order_id     text NOT NULL,
  token        text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);

CREATE TABLE IF NOT EXISTS outbox (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL,
  name            text NOT NULL,
  data            jsonb NOT NULL,
  history         jsonb,
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at);
`;

/**
 * Creates the schema and tables if missing. Safe when two instances start at once: an advisory
 * lock serialises them, and every statement is `IF NOT EXISTS`.
 */
export async function migrate(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('sagaline-example:' || $1))`, [db.schema]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
    // unqualified names land in the shop's schema: it is first on every connection's search_path
    for (const statement of TABLES.split(';').filter((sql) => sql.trim())) await tx.query(statement);
  });
}
