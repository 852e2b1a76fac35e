/**
 * `pnpm test:load`: starts the shop (with its simulated services) in a child process, sends orders
 * with autocannon, waits for every order to reach a final state, and prints a summary: orders per
 * second, POST latency, time to a final state (p50/p99), outcomes. Exits 1 if any order is left in
 * a non-final state.
 *
 * Settings (environment): LOAD_DURATION seconds (default 10), LOAD_CONNECTIONS (default 8),
 * LOAD_DECLINE_RATE share of orders paid with a declined card (default 0.1), LOAD_RATE orders per
 * second to offer at most (default: as fast as the connections go), LOAD_DRAIN_TIMEOUT seconds to
 * wait for the last orders (default 60). When the offered rate is above what the shop completes,
 * orders queue up and the time to a final state includes that queueing: cap it with LOAD_RATE to
 * measure the latency of a sustainable load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { quantile } from 'simple-statistics';
import { DEFAULT_TENANTS } from '../src/config/tenants';
import { FINAL_ORDER_STATUSES, ORDER_STATUSES, type OrderStatus } from '../src/domain/order';

const durationSeconds = Number(process.env.LOAD_DURATION ?? 10);
const connections = Number(process.env.LOAD_CONNECTIONS ?? 8);
const declineRate = Number(process.env.LOAD_DECLINE_RATE ?? 0.1);
const rate = process.env.LOAD_RATE ? Number(process.env.LOAD_RATE) : undefined;
const drainTimeoutMs = Number(process.env.LOAD_DRAIN_TIMEOUT ?? 60) * 1000;
const exampleDir = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The shop's own output goes here, so that it does not scramble the progress display. */
const shopLog = join(tmpdir(), `sagaline-load-test-shop-${process.pid}.log`);

async function startShopProcess(port: number): Promise<ChildProcess> {
  // plenty of stock, so that the run measures the pipeline, not backorders waiting for restocks
  const tenants = DEFAULT_TENANTS.map((tenant) => ({
    ...tenant,
    catalog: tenant.catalog.map((product) => ({ ...product, initialStock: 10_000_000 })),
  }));
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    cwd: exampleDir,
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      THROTTLE_LIMIT: '100000000',
      TENANTS: JSON.stringify(tenants),
    },
    stdio: ['ignore', openSync(shopLog, 'w'), openSync(shopLog, 'a')],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`The shop exited with code ${child.exitCode} while starting; see ${shopLog}.`);
    try {
      const health = await fetch(`http://127.0.0.1:${port}/health/detailed`);
      if (health.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('The shop did not become healthy within 60 s.');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface OrderView {
  id: string;
  status: OrderStatus;
  placedAt: string;
  history: { at: string }[];
}

async function fetchOrders(url: string, ids: string[]): Promise<OrderView[]> {
  const orders: OrderView[] = [];
  for (let i = 0; i < ids.length; i += 16) {
    const batch = ids.slice(i, i + 16).map(async (id) => {
      const response = await fetch(`${url}/orders/${id}`, { headers: { 'x-tenant-id': 'acme' } });
      return (await response.json()) as OrderView;
    });
    orders.push(...(await Promise.all(batch)));
  }
  return orders;
}

/** The ids of the orders not yet in a final state, from `GET /orders?status=`, page by page. */
async function openOrderIds(url: string): Promise<string[]> {
  const open: string[] = [];
  for (const status of ORDER_STATUSES.filter((s) => !FINAL_ORDER_STATUSES.has(s))) {
    let after: string | null = null;
    do {
      const query = new URLSearchParams({ status, limit: '100', ...(after ? { after } : {}) });
      const response = await fetch(`${url}/orders?${query}`, { headers: { 'x-tenant-id': 'acme' } });
      const page = (await response.json()) as { items: { id: string }[]; nextCursor: string | null };
      open.push(...page.items.map((order) => order.id));
      after = page.nextCursor;
    } while (after);
  }
  return open;
}

const format = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

async function main(): Promise<number> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(`Starting the shop on ${url} (its log: ${shopLog}) ...\n`);
  const shop = await startShopProcess(port);
  try {
    const ids: string[] = [];
    let counter = 0;
    process.stdout.write(`Sending orders for ${durationSeconds} s on ${connections} connections:\n`);
    const options: autocannon.Options = {
      url,
      connections,
      duration: durationSeconds,
      ...(rate ? { overallRate: rate } : {}),
      requests: [
        {
          method: 'POST',
          path: '/orders',
          headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' },
          setupRequest: (request) => {
            counter += 1;
            request.body = JSON.stringify({
              customerId: `load-${counter}`,
              email: `load-${counter}@example.com`,
              items: [{ productId: counter % 3 === 0 ? 'gadget' : 'widget', quantity: 1 }],
              paymentToken: Math.random() < declineRate ? 'tok_chargeDeclined' : 'tok_visa',
              shippingAddress: {
                name: 'Load',
                line1: '1 Bench St',
                city: 'Perf',
                postalCode: '10101',
                country: 'US',
              },
            });
            return request;
          },
          onResponse: (status, body) => {
            if (status === 202) ids.push(JSON.parse(body).id);
          },
        },
      ],
    };
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(options, (error, finished) => (error ? reject(error) : resolve(finished)));
      autocannon.track(instance, { renderResultsTable: false, renderLatencyTable: false });
    });

    // Polls the cheap list of open orders, so that the polling does not slow the pipeline down it
    // measures; each order is fetched whole (history included) once the list says all are final.
    const drainStarted = Date.now();
    const placed = new Set(ids);
    let orders: OrderView[] = [];
    for (;;) {
      const open = (await openOrderIds(url)).filter((id) => placed.has(id));
      process.stdout.write(`\rWaiting for final states: ${ids.length - open.length}/${ids.length} final   `);
      const timedOut = Date.now() - drainStarted > drainTimeoutMs;
      if (open.length === 0 || timedOut) {
        orders = await fetchOrders(url, ids);
        // an order moving between two open states while the list was read is caught here
        if (timedOut || orders.every((order) => FINAL_ORDER_STATUSES.has(order.status))) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    process.stdout.write('\n');

    const finalOrders = orders.filter((order) => FINAL_ORDER_STATUSES.has(order.status));
    const toFinalMs = finalOrders.map(
      (order) => Date.parse(order.history.at(-1)?.at ?? order.placedAt) - Date.parse(order.placedAt),
    );
    const outcomes: Record<string, number> = {};
    for (const order of orders) outcomes[order.status] = (outcomes[order.status] ?? 0) + 1;
    const nonFinal = orders.length - finalOrders.length;
    const firstPlaced = Math.min(...orders.map((order) => Date.parse(order.placedAt)));
    const lastFinal = Math.max(
      ...finalOrders.map((order) => Date.parse(order.history.at(-1)?.at ?? order.placedAt)),
    );

    const rows: [string, string][] = [
      ['orders accepted (202)', format(ids.length, 0)],
      ['other responses', format(result.requests.total - ids.length, 0)],
      ['orders accepted per second', format(ids.length / durationSeconds)],
      [
        'orders completed per second (first accepted to last final)',
        format(finalOrders.length / ((lastFinal - firstPlaced) / 1000)),
      ],
      ['POST /orders latency p50 / p99 (ms)', `${result.latency.p50} / ${result.latency.p99}`],
      [
        'time to a final state p50 / p99 (ms)',
        toFinalMs.length
          ? `${format(quantile(toFinalMs, 0.5), 0)} / ${format(quantile(toFinalMs, 0.99), 0)}`
          : '-',
      ],
      [
        'outcomes',
        Object.entries(outcomes)
          .map(([status, n]) => `${status} ${n}`)
          .join(', '),
      ],
      ['orders left in a non-final state', format(nonFinal, 0)],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    const offered = rate ? `at most ${rate} orders/s` : 'unthrottled';
    process.stdout.write(
      `\nLoad test summary (${durationSeconds} s, ${connections} connections, ${offered}, Node ${process.version})\n`,
    );
    for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
    return nonFinal === 0 && ids.length > 0 ? 0 : 1;
  } finally {
    shop.kill('SIGTERM');
  }
}

process.exitCode = await main();
