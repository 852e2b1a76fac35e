import { createHash } from 'node:crypto';
import { EventStore } from '@sagaline/event-store';
import { InngestService } from '@sagaline/nestjs-inngest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/database/database';
import { DATABASE } from '../../src/database/database.module';
import { backlog } from '../../src/outbox/outbox';
import { OutboxRelay } from '../../src/outbox/outbox-relay';
import { type Backend, orderBody, startTestShop, type TestShop, waitFor } from '../support/test-shop';

// A short lease, so that a key whose request "died" is taken over without a long wait.
const LEASE_MS = 300;

describe.each<Backend>(['pglite', 'postgres'])('accepting orders on %s', (backend) => {
  let shop: TestShop;
  let db: Database;
  beforeAll(async () => {
    shop = await startTestShop(backend, { IDEMPOTENCY_LEASE_MS: String(LEASE_MS) });
    db = shop.app.get<Database>(DATABASE);
  });
  afterAll(() => shop?.close());

  describe('the outbox', () => {
    it('accepts an order while Inngest refuses its event, and sends it once Inngest takes it', async () => {
      const send = vi
        .spyOn(shop.app.get(InngestService), 'send')
        .mockRejectedValueOnce(new Error('event API down'))
        .mockRejectedValueOnce(new Error('event API still down'));
      let id: string;
      try {
        const placed = await shop.request('POST', '/orders', { body: orderBody() });
        expect(placed.status).toBe(202);
        id = placed.body.id;
        // Stored at once, whatever Inngest says: the answer came after the commit.
        expect((await shop.request('GET', `/orders/${id}`)).body.status).toBe('pending');
        await waitFor(
          'the relay to be refused twice, then accepted',
          async () => send.mock.calls.length >= 3,
        );
      } finally {
        send.mockRestore();
      }
      const order = await shop.settled(id);
      expect(order.status).toBe('shipped');
      expect(order.history.map((event) => event.type)[0]).toBe('order.created');
      await shop.app.get(OutboxRelay).flush();
      await waitFor('the outbox to be empty', async () => (await backlog(db)) === 0);
    });

    it('stores the order and its event together: a failing event insert stores no order', async () => {
      const before = await db.query<{ count: string }>('SELECT count(*) AS count FROM orders');
      // An outbox row with the id the next order's event would get cannot exist, so break the table
      // for one statement instead: a CHECK that refuses every new row.
      await db.query(`ALTER TABLE outbox ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`);
      try {
        const { status } = await shop.request('POST', '/orders', { body: orderBody() });
        expect(status).toBe(500);
      } finally {
        await db.query('ALTER TABLE outbox DROP CONSTRAINT refuse_all');
      }
      const after = await db.query<{ count: string }>('SELECT count(*) AS count FROM orders');
      expect(after[0].count).toBe(before[0].count);
    });

    it('records order.created in the order stream once, however often the relay repeats it', async () => {
      const { body } = await shop.request('POST', '/orders', { body: orderBody() });
      await shop.settled(body.id);
      // What a relay that died after sending but before forgetting the event would find.
      await db.query(
        `INSERT INTO outbox (id, tenant_id, name, data, history) VALUES ($1, 'acme', 'order.created', $2, $3)`,
        [
          `order.created:${body.id}`,
          JSON.stringify({ orderId: body.id, tenantId: 'acme' }),
          JSON.stringify({
            streamId: `order-${body.id}`,
            eventId: `${body.id}:order.created`,
            type: 'order.created',
          }),
        ],
      );
      shop.app.get(OutboxRelay).wake();
      await waitFor('the repeated event to be sent', async () => (await backlog(db)) === 0);
      const stream = await shop.app.get(EventStore).readStream(`order-${body.id}`, { tenantId: 'acme' });
      expect(stream.events.filter((event) => event.type === 'order.created')).toHaveLength(1);
      const runs = await shop.engine.listRuns({
        functionId: 'order-intake',
        eventId: `order.created:${body.id}`,
      });
      expect(runs).toHaveLength(1);
    });
  });

  describe('an Idempotency-Key whose request died', () => {
    const headers = (key: string) => ({ 'idempotency-key': key });

    it('answers 409 while the lease runs, then answers with the order the dead request stored', async () => {
      const key = `died-${backend}-${Date.now()}`;
      const body = orderBody();
      const first = await shop.request('POST', '/orders', { body, headers: headers(key) });
      expect(first.status).toBe(202);
      // What a process killed after committing the order but before storing the answer leaves:
      // the key claimed with no answer, and a lease that is still running.
      await db.query(
        `UPDATE idempotency_keys SET status_code = NULL, response = NULL,
           locked_until = now() + interval '1 hour' WHERE key = $1`,
        [key],
      );
      const during = await shop.request('POST', '/orders', { body, headers: headers(key) });
      expect(during.status).toBe(409);
      expect(during.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
      await db.query(
        `UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`,
        [key],
      );
      const after = await shop.request('POST', '/orders', { body, headers: headers(key) });
      expect(after.status).toBe(202);
      expect(after.body.id).toBe(first.body.id);
      const orders = await db.query<{ id: string }>('SELECT id FROM orders WHERE idempotency_key = $1', [
        key,
      ]);
      expect(orders.map((order) => order.id)).toEqual([first.body.id]);
      const replay = await shop.request('POST', '/orders', { body, headers: headers(key) });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.id).toBe(first.body.id);
    });

    it('lets a retry run the request when the dead one stored nothing', async () => {
      const key = `died-early-${backend}-${Date.now()}`;
      const body = orderBody();
      const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      await db.query(
        `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, locked_until)
         VALUES ('acme', 'POST /orders', $1, $2, now() - interval '1 second')`,
        [key, hash],
      );
      const retry = await shop.request('POST', '/orders', { body, headers: headers(key) });
      expect(retry.status).toBe(202);
      expect((await shop.settled(retry.body.id)).status).toBe('shipped');
    });

    it('still refuses the key with another body after its lease ran out', async () => {
      const key = `died-other-${backend}-${Date.now()}`;
      await shop.request('POST', '/orders', { body: orderBody(), headers: headers(key) });
      await db.query(
        `UPDATE idempotency_keys SET status_code = NULL, locked_until = now() - interval '1 second' WHERE key = $1`,
        [key],
      );
      const other = await shop.request('POST', '/orders', { body: orderBody(), headers: headers(key) });
      expect(other.status).toBe(422);
    });
  });
});
