import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedEngine } from '@sagaline/embedded-engine';
import { INNGEST_EMBEDDED_ENGINE } from '@sagaline/nestjs-inngest';
import pg from 'pg';
import { type RunningShop, startShop } from '../../src/bootstrap';
import { loadShopConfig } from '../../src/config/shop-config';
import { FINAL_ORDER_STATUSES, type OrderDetails } from '../../src/domain/order';
import type { OrderSagaView } from '../../src/orders/order-cancellation';
import type { HistoryEntry, InngestEventEntry } from '../../src/orders/orders.repository';
import { controlSimulator, type FaultSettings } from '../../src/simulators';

/** The real PostgreSQL the e2e suite also runs on (trust auth, database `test`). */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The real Redis the shared-breaker tests run on. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The databases the e2e suite runs on: the embedded default, and real PostgreSQL. */
export type Backend = 'pglite' | 'postgres';

/** An order as `GET /orders/:id` shows it: the order, its sagas and its history. */
export type OrderView = OrderDetails & {
  history: HistoryEntry[];
  inngestEvents: InngestEventEntry[];
  sagas: OrderSagaView[];
};

/** A shop started for a test file, with helpers to drive it over HTTP. */
export interface TestShop extends RunningShop {
  backend: Backend;
  engine: EmbeddedEngine;
  /** Sends a request as `tenant`; resolves with status, JSON body and headers. */
  request(
    method: string,
    path: string,
    options?: { tenant?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Waits until the order is final and its sagas have ended, then returns it as the API shows it. */
  settled(orderId: string, tenant?: string): Promise<OrderView>;
  /** Waits until the order is in `status` and `also` holds (for states the saga waits in, such as `backordered`). */
  reaches(
    orderId: string,
    status: string,
    tenant?: string,
    also?: (order: OrderView) => boolean,
  ): Promise<OrderView>;
  /** Waits until the order's backorder saga is waiting for a restock (a restock sent earlier is not seen). */
  waitingForRestock(orderId: string): Promise<void>;
  /** Changes a simulated service's faults over its `PUT /__control`, as the README does with curl. */
  control(service: 'paymentGateway' | 'carrier', faults: Partial<FaultSettings>): Promise<void>;
  /** `GET /health/detailed`: its status and the circuit breakers' check. */
  breakerHealth(): Promise<{ status: number; check: BreakerCheck }>;
  /** The value of one sample of `GET /metrics` (0 when it is not there yet). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
}

/** The `circuit-breakers` entry of `GET /health/detailed`. */
export interface BreakerCheck {
  status: 'up' | 'down';
  open: string[];
  breakers: Record<string, string>;
}

/**
 * Polls `check` until it returns something other than `undefined` or `false`, and returns that;
 * fails with `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts the whole example as `pnpm start` does on a free port, with short timings: engine backoff
 * x0.001, a 1 s breaker open time and a 3 s backorder timeout. The simulated gateway, carrier, SMTP
 * sink and alert sink run in this process (so `services` shows their state), on free ports, with
 * their ledgers in a fresh temporary directory, removed by `close()`. On `postgres`, everything
 * lives in a fresh `shop_<random>` schema (and its `_engine` twin), dropped by `close()`.
 */
export async function startTestShop(backend: Backend, env: Record<string, string> = {}): Promise<TestShop> {
  const schema = `shop_${randomBytes(5).toString('hex')}`;
  const config = loadShopConfig({
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'none',
    ENGINE_RETRY_BACKOFF_SCALE: '0.001',
    BREAKER_OPEN_MS: '1000',
    BACKORDER_TIMEOUT: '3s',
    HTTP_TIMEOUT_MS: '2000',
    THROTTLE_LIMIT: '10000',
    DATABASE_SCHEMA: schema,
    ...(backend === 'postgres' ? { DATABASE_URL: POSTGRES_URL } : {}),
    ...env,
  });
  const simulatorsDir = await mkdtemp(join(tmpdir(), 'sagaline-test-simulators-'));
  let shop: RunningShop;
  try {
    shop = await startShop(
      config,
      {},
      { mode: 'in-process', dataDir: simulatorsDir, port: 0, alertWebhookUrl: env.ALERT_WEBHOOK_URL },
    );
  } catch (error) {
    await rm(simulatorsDir, { recursive: true, force: true });
    throw error;
  }
  const engine = shop.app.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE);

  const request: TestShop['request'] = async (method, path, options = {}) => {
    const tenant = options.tenant === undefined ? 'acme' : options.tenant;
    const response = await fetch(`${shop.url}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(tenant ? { 'x-tenant-id': tenant } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. /metrics): keep the text
    }
    return { status: response.status, body, headers: response.headers };
  };

  const get = async (orderId: string, tenant: string) => {
    const { status, body } = await request('GET', `/orders/${orderId}`, { tenant });
    if (status !== 200) throw new Error(`GET /orders/${orderId} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  };

  /** Polls the order until `condition` holds: the state lives behind HTTP, as for any client. */
  const waitForOrder = async (
    orderId: string,
    tenant: string,
    expected: string,
    condition: (order: OrderView) => boolean,
  ): Promise<OrderView> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const order = await get(orderId, tenant);
      if (condition(order)) return order;
      if (Date.now() > deadline) {
        throw new Error(
          `Order ${orderId} did not reach ${expected} in 20 s: ${JSON.stringify(order, null, 1)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  return {
    ...shop,
    backend,
    engine,
    request,
    async waitingForRestock(orderId) {
      await waitFor(
        `the backorder saga of ${orderId} to wait for a restock`,
        async () => {
          const runs = await engine.listRuns({ functionId: 'order-backorder', status: 'running' });
          const run = runs.find((candidate) => candidate.event.data.orderId === orderId);
          return run?.pending.some((work) => work.kind === 'wait');
        },
        10_000,
      );
    },
    async control(service, faults) {
      await controlSimulator(
        service === 'paymentGateway' ? shop.settings.paymentGatewayUrl : shop.settings.carrierUrl,
        faults,
      );
    },
    async breakerHealth() {
      const { status, body } = await request('GET', '/health/detailed', { tenant: null });
      return { status, check: body.details['circuit-breakers'] };
    },
    async metric(name, labels) {
      const { body } = await request('GET', '/metrics', { tenant: null });
      const wanted = Object.entries(labels)
        .map(([label, value]) => `${label}="${value}"`)
        .sort()
        .join(',');
      for (const line of (body as string).split('\n')) {
        const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (sample?.[1] !== name) continue;
        const have = (sample[2] ?? '').split(',').filter(Boolean).sort().join(',');
        if (have === wanted) return Number(sample[3]);
      }
      return 0;
    },
    settled: (orderId, tenant = 'acme') => waitForOrder(orderId, tenant, 'a final state', settled),
    reaches: (orderId, status, tenant = 'acme', also = () => true) =>
      waitForOrder(orderId, tenant, status, (order) => order.status === status && also(order)),
    async close() {
      await shop.close();
      await rm(simulatorsDir, { recursive: true, force: true });
      if (backend === 'postgres') await dropSchemas(schema);
    },
  };
}

const settled = (order: OrderView) =>
  FINAL_ORDER_STATUSES.has(order.status) &&
  order.sagas.every((saga) => saga.status !== 'running' && saga.status !== 'compensating');

async function dropSchemas(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_engine CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_events CASCADE`);
  } finally {
    await client.end();
  }
}

let customerCounter = 0;

/** A valid order body; `overrides` change any field. Each call uses a new customer id. */
export function orderBody(overrides: Record<string, unknown> = {}) {
  customerCounter += 1;
  return {
    customerId: `customer-${process.pid}-${customerCounter}`,
    email: `customer${customerCounter}@example.com`,
    phone: '+14155550100',
    items: [{ productId: 'widget', quantity: 1 }],
    paymentToken: 'tok_visa',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '1 Loop Road',
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    },
    ...overrides,
  };
}
