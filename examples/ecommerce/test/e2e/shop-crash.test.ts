// The shop's crash test (issue 14): the shop runs as its own process, on PostgreSQL and on PGlite,
// while clients place orders with Idempotency-Keys; it is killed with SIGKILL at seeded random
// moments and started again, and the simulators (their own process, never killed here) keep the
// money and the parcels. Afterwards every order must be final, no card charged twice, every
// cancelled order refunded, and the stock equal to the opening stock minus what shipped.
// CRASH_SEED=<n> replays a kill plan and traffic shape.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/domain/order';
import { shopEnvironmentFor, startSimulators, startSimulatorsProcess } from '../../src/simulators';
import { freePort, type ShopProcess, startShopProcess } from '../crash/shop-process';
import { type Backend, POSTGRES_URL } from '../support/test-shop';

const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : randomInt(2 ** 31);
const KILLS = 5;
const ORDERS = 100;
const CLIENTS = 4;
/** Where a kill lands after the shop is up: the one intended delay of the test. */
const KILL_AFTER_MS = { min: 300, max: 2_500 };
const SETTLE_TIMEOUT_MS = 240_000;
/** How long a client retries one order (the shop restarts in seconds; a lease lasts 2 s). */
const CLIENT_PATIENCE_MS = 180_000;
const TENANT = 'acme';
const PRODUCTS = ['widget', 'prod-1'];

console.log(
  `[shop crash test] seed ${seed} (replay with CRASH_SEED=${seed}), ${KILLS} kills, ${ORDERS} orders`,
);

/** A seeded PRNG (mulberry32): the same seed gives the same kill plan and orders. */
function seededRandom(start: number) {
  let state = start >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

interface PlannedOrder {
  key: string;
  body: Record<string, unknown>;
  declined: boolean;
  units: Record<string, number>;
}

describe.each<Backend>(['postgres', 'pglite'])(
  'the shop killed with SIGKILL while orders flow, on %s',
  (backend) => {
    it('loses no accepted order, charges once, refunds what it cancels and ships what it charged', {
      timeout: 900_000,
    }, async () => {
      const random = seededRandom(seed * 2 + (backend === 'postgres' ? 0 : 1));
      const dir = await mkdtemp(join(tmpdir(), `sagaline-shop-crash-${backend}-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const schema = `crash_${randomBytes(4).toString('hex')}`;
      if (backend === 'postgres') cleanups.push(() => dropSchemas(schema));
      const simulators = await startSimulatorsProcess({ dataDir: join(dir, 'simulators'), port: 0 });
      let simulatorsRunning = true;
      cleanups.push(async () => {
        if (simulatorsRunning) await simulators.close();
      });
      const env: Record<string, string> = {
        ...shopEnvironmentFor(simulators.urls),
        LOG_LEVEL: 'error',
        ENGINE_RETRY_BACKOFF_SCALE: '0.001',
        BREAKER_OPEN_MS: '1000',
        HTTP_TIMEOUT_MS: '5000',
        THROTTLE_LIMIT: '100000',
        IDEMPOTENCY_LEASE_MS: '2000',
        DATABASE_SCHEMA: schema,
        ...(backend === 'postgres' ? { DATABASE_URL: POSTGRES_URL } : { PGLITE_DIR: join(dir, 'pglite') }),
      };
      const port = await freePort();
      let shop: ShopProcess = await startShopProcess(env, port);
      const lives: ShopProcess[] = [shop];
      cleanups.push(() => shop.stop());
      const url = shop.url;

      const call = async (method: string, path: string, body?: unknown, key?: string) => {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: {
            'x-tenant-id': TENANT,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(key ? { 'idempotency-key': key } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined };
      };
      const opening = Object.fromEntries(
        await Promise.all(
          PRODUCTS.map(async (productId) => [
            productId,
            (await call('GET', `/inventory/${productId}`)).body.available,
          ]),
        ),
      ) as Record<string, number>;

      const planned: PlannedOrder[] = Array.from({ length: ORDERS }, (_, index) => {
        const declined = random.next() < 0.15;
        const items = PRODUCTS.filter(() => random.next() < 0.6).map((productId) => ({
          productId,
          quantity: random.int(1, 2),
        }));
        if (items.length === 0) items.push({ productId: 'widget', quantity: 1 });
        return {
          key: `crash-${seed}-${backend}-${index}`,
          declined,
          units: Object.fromEntries(items.map((item) => [item.productId, item.quantity])),
          body: {
            customerId: `crash-customer-${index}`,
            email: `crash${index}@example.com`,
            items,
            paymentToken: declined ? 'tok_chargeDeclined' : 'tok_visa',
            shippingAddress: {
              name: 'Ada',
              line1: '1 Main St',
              city: 'Springfield',
              postalCode: '12345',
              country: 'US',
            },
          },
        };
      });

      // Clients place every order, retrying with the same key whatever happens, as a careful client does.
      const accepted = new Map<string, string>();
      const answers = { died: 0, inUse: 0 };
      let next = 0;
      const unanswered: string[] = [];
      const client = async () => {
        while (next < planned.length) {
          const order = planned[next++];
          // A key stuck at 409 (a lease that never ends) or an order that never answers is a
          // finding, not a hang: the client gives up and the test reports it.
          const giveUpAt = Date.now() + CLIENT_PATIENCE_MS;
          for (;;) {
            if (Date.now() > giveUpAt) {
              unanswered.push(order.key);
              break;
            }
            const answer = await call('POST', '/orders', order.body, order.key).catch(() => undefined);
            if (answer?.status === 202) {
              accepted.set(order.key, answer.body.id);
              break;
            }
            if (answer === undefined) answers.died++;
            else if (answer.status === 409) answers.inUse++;
            else if (answer.status < 500) {
              throw new Error(`POST /orders answered ${answer.status}: ${JSON.stringify(answer.body)}`);
            }
            await pause(50);
          }
        }
      };
      const placing = Promise.all(Array.from({ length: CLIENTS }, client));

      const diedAlone: string[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        await pause(random.int(KILL_AFTER_MS.min, KILL_AFTER_MS.max));
        if (shop.diedOnItsOwn()) diedAlone.push(shop.output());
        await shop.kill();
        shop = await startShopProcess(env, port);
        lives.push(shop);
      }
      await placing;

      // Every order the clients placed ends, and nothing else was created.
      const orders = new Map<string, Order>();
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      for (const [key, id] of accepted) {
        for (;;) {
          const { status, body } = await call('GET', `/orders/${id}`);
          const done =
            status === 200 &&
            ['shipped', 'cancelled', 'failed'].includes(body.status) &&
            body.sagas.every(
              (saga: { status: string }) => saga.status !== 'running' && saga.status !== 'compensating',
            );
          if (done) {
            orders.set(key, body);
            break;
          }
          if (Date.now() > deadline)
            throw new Error(`Order ${id} is not final: ${JSON.stringify(body, null, 1)}`);
          await pause(100);
        }
      }
      const stored = await allOrderIds(call);
      const stock = Object.fromEntries(
        await Promise.all(
          PRODUCTS.map(async (productId) => [productId, (await call('GET', `/inventory/${productId}`)).body]),
        ),
      ) as Record<string, { available: number; reserved: number }>;
      expect(await shop.stop(), 'the shop outlived SIGTERM by 15 s').toBe(true);
      if (shop.diedOnItsOwn()) diedAlone.push(shop.output());

      // The simulators' ledgers, read after they stopped: what the gateway and the carrier really did.
      await simulators.close();
      simulatorsRunning = false;
      const ledgers = await startSimulators({ dataDir: join(dir, 'simulators'), port: 0 });
      cleanups.push(() => ledgers.close());
      const charges = [...ledgers.paymentGateway.charges.values()];
      const shipments = [...ledgers.carrier.shipments.values()];

      const violations: string[] = [...diedAlone.map((output) => `the shop died on its own:\n${output}`)];
      if (accepted.size !== ORDERS) violations.push(`${accepted.size} of ${ORDERS} orders were accepted`);
      for (const key of unanswered)
        violations.push(`the order with key ${key} got no answer in ${CLIENT_PATIENCE_MS} ms`);
      const acceptedIds = new Set(accepted.values());
      for (const id of stored)
        if (!acceptedIds.has(id)) violations.push(`order ${id} was stored but never answered`);
      if (stored.length !== acceptedIds.size)
        violations.push(`${stored.length} orders stored for ${acceptedIds.size} answered`);

      const chargedBy = new Map<string, Order>();
      const shipped = Object.fromEntries(PRODUCTS.map((productId) => [productId, 0]));
      for (const order of planned) {
        const placed = orders.get(order.key);
        if (!placed) continue;
        const expected = order.declined ? 'cancelled' : 'shipped';
        if (placed.status !== expected) {
          violations.push(
            `order ${placed.id} (${order.declined ? 'declined card' : 'good card'}) ended ${placed.status}, not ${expected}`,
          );
        }
        if (placed.payment?.chargeId) chargedBy.set(placed.payment.chargeId, placed);
        if (placed.status === 'shipped') {
          for (const [productId, units] of Object.entries(order.units)) shipped[productId] += units;
        }
      }
      for (const charge of charges) {
        const order = chargedBy.get(charge.id);
        const kept = charge.amount - charge.amountRefunded;
        if (!order) {
          if (kept !== 0)
            violations.push(
              `charge ${charge.id} of ${charge.amount} belongs to no order and was not refunded`,
            );
        } else if (order.status === 'shipped') {
          if (kept !== order.total)
            violations.push(`shipped order ${order.id} kept ${kept} of its charge, not ${order.total}`);
        } else if (kept !== 0) {
          violations.push(`${order.status} order ${order.id} kept ${kept} of its charge ${charge.id}`);
        }
      }
      const shippedOrders = [...orders.values()].filter((order) => order.status === 'shipped');
      const dispatched = new Set(
        shipments.filter((shipment) => shipment.status === 'dispatched').map((s) => s.id),
      );
      for (const order of shippedOrders) {
        if (!order.shipment || !dispatched.has(order.shipment.id))
          violations.push(`shipped order ${order.id} has no dispatched parcel`);
      }
      if (dispatched.size !== shippedOrders.length) {
        violations.push(`${dispatched.size} parcels dispatched for ${shippedOrders.length} shipped orders`);
      }
      for (const productId of PRODUCTS) {
        const expected = opening[productId] - shipped[productId];
        if (stock[productId].available !== expected || stock[productId].reserved !== 0) {
          violations.push(
            `${productId}: ${stock[productId].available} available and ${stock[productId].reserved} reserved; expected ${expected} and 0`,
          );
        }
      }

      console.log(
        `[shop crash test] ${backend}: ${lives.length - 1} kills, ${accepted.size} orders accepted ` +
          `(${answers.died} attempts found the shop down, ${answers.inUse} answered 409 while a dead request held the key), ` +
          `${shippedOrders.length} shipped, ${charges.length} charges, ${dispatched.size} parcels`,
      );
      expect(lives.length - 1).toBeGreaterThanOrEqual(KILLS);
      expect(violations, `seed ${seed}, ${backend}:\n${violations.slice(0, 40).join('\n')}`).toEqual([]);
    });
  },
);

/** Every order id the shop stores for the tenant, through `GET /orders`, page by page. */
async function allOrderIds(
  call: (method: string, path: string) => Promise<{ status: number; body: any }>,
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  do {
    const { body } = await call('GET', `/orders?limit=100${after ? `&after=${after}` : ''}`);
    ids.push(...body.items.map((order: { id: string }) => order.id));
    after = body.nextCursor;
  } while (after);
  return ids;
}

async function dropSchemas(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const suffix of ['', '_engine', '_events'])
      await client.query(`DROP SCHEMA IF EXISTS ${schema}${suffix} CASCADE`);
  } finally {
    await client.end();
  }
}
