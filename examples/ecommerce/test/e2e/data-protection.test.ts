// Data protection (issue 14): the customer's email, phone and address are sealed wherever the shop
// stores or sends them (its tables, the outbox, the event store, the engine's runs), card tokens
// are kept only until the gateway has answered the charge, and neither reaches a log. The shop
// runs as its own process with every log level on; the test reads every table it wrote.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopEnvironmentFor, startSimulatorsProcess } from '../../src/simulators';
import { freePort, type ShopProcess, startShopProcess } from '../crash/shop-process';
import { POSTGRES_URL } from '../support/test-shop';

const probe = randomBytes(4).toString('hex');
const EMAIL = `probe-${probe}@example.com`;
const PHONE = `+1415${Number.parseInt(probe, 16).toString().padStart(7, '0').slice(0, 7)}`;
const STREET = `${probe} Probe Street`;
// Tokens the banner's example request does not print.
const CARD_TOKENS = ['tok_mastercard', 'tok_chargeDeclinedInsufficientFunds'];

describe('customer data and card tokens, on PostgreSQL', () => {
  const schema = `privacy_${probe}`;
  let dir: string;
  let shop: ShopProcess;
  let simulators: Awaited<ReturnType<typeof startSimulatorsProcess>>;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${shop.url}${path}`, {
      method,
      headers: { 'x-tenant-id': 'acme', 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const order = (paymentToken: string) => ({
    customerId: `privacy-${probe}`,
    email: EMAIL,
    phone: PHONE,
    items: [{ productId: 'widget', quantity: 1 }],
    paymentToken,
    shippingAddress: { name: 'Ada', line1: STREET, city: 'Springfield', postalCode: '12345', country: 'US' },
  });
  const final = async (id: string) => {
    for (;;) {
      const { body } = await call('GET', `/orders/${id}`);
      const done =
        ['shipped', 'cancelled', 'failed'].includes(body.status) &&
        body.sagas.every((saga: { status: string }) => !['running', 'compensating'].includes(saga.status));
      if (done) return body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sagaline-privacy-'));
    simulators = await startSimulatorsProcess({ dataDir: join(dir, 'simulators'), port: 0 });
    shop = await startShopProcess(
      {
        ...shopEnvironmentFor(simulators.urls),
        DATABASE_URL: POSTGRES_URL,
        DATABASE_SCHEMA: schema,
        LOG_LEVEL: 'debug',
        ENGINE_RETRY_BACKOFF_SCALE: '0.001',
        PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
      await freePort(),
    );
  });
  afterAll(async () => {
    await shop?.stop();
    await simulators?.close();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    for (const suffix of ['', '_engine', '_events'])
      await admin.query(`DROP SCHEMA IF EXISTS ${schema}${suffix} CASCADE`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the customer data to the tenant, and stores and logs none of it, nor any card token, in clear', async () => {
    const shipped = await call('POST', '/orders', order(CARD_TOKENS[0]), {
      'idempotency-key': `privacy-${probe}`,
    });
    const declined = await call('POST', '/orders', order(CARD_TOKENS[1]));
    expect([shipped.status, declined.status]).toEqual([202, 202]);
    expect(shipped.body.email).toBe(EMAIL);
    expect((await final(shipped.body.id)).status).toBe('shipped');
    expect((await final(declined.body.id)).status).toBe('cancelled');

    // The tenant still sees its customer's data, opened.
    const seen = await call('GET', `/orders/${shipped.body.id}`);
    expect(seen.body).toMatchObject({ email: EMAIL, phone: PHONE, shippingAddress: { line1: STREET } });
    expect(seen.body.notifications.map((sent: { recipient: string }) => sent.recipient)).toContain(EMAIL);
    const replay = await call('POST', '/orders', order(CARD_TOKENS[0]), {
      'idempotency-key': `privacy-${probe}`,
    });
    expect(replay.body).toMatchObject({ id: shipped.body.id, email: EMAIL });

    // Every row of every table the shop, its event store and its engine wrote.
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    let stored = '';
    let rows = 0;
    try {
      const tables = await admin.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_schema = ANY($1::text[]) AND table_type = 'BASE TABLE'`,
        [[schema, `${schema}_engine`, `${schema}_events`]],
      );
      expect(tables.rows.length).toBeGreaterThan(5);
      // Both charges were answered by the gateway: neither card token is kept, even sealed.
      const tokens = await admin.query(`SELECT order_id FROM ${schema}.payment_tokens`);
      expect(tokens.rows).toEqual([]);
      for (const { table_schema, table_name } of tables.rows) {
        const { rows: found } = await admin.query(
          `SELECT t::text AS row FROM ${table_schema}.${table_name} t`,
        );
        rows += found.length;
        stored += found.map((row) => row.row).join('\n');
      }
    } finally {
      await admin.end();
    }
    expect(rows).toBeGreaterThan(20);
    expect(stored).toContain(shipped.body.id);
    const logs = shop.output();
    expect(logs).toContain(shipped.body.id);
    for (const secret of [EMAIL, PHONE, STREET, ...CARD_TOKENS]) {
      expect(stored.includes(secret), `"${secret}" is stored in clear`).toBe(false);
      expect(logs.includes(secret), `"${secret}" is in the shop's logs`).toBe(false);
    }
  });
});
