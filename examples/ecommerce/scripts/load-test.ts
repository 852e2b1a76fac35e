/**
 * `pnpm test:load`: measures the shop twice, side by side: orders sent one per `POST /orders` for
 * LOAD_DURATION seconds, then as many orders sent in bulks (`POST /orders/bulk`), as fast as the
 * connections go. The same work both ways: a bulk phase of fixed length would pile up far more
 * orders than the pipeline completes, and measure the queue. Each phase starts a fresh shop (with
 * its simulated services on free ports and their ledgers in a temporary directory, so it never
 * clashes with a running `pnpm example`) in a child process, sends orders with autocannon, waits
 * for every order to reach a final state, and stops the shop. The summary prints, for each phase,
 * orders accepted per second (while sending) and completed per second (first accepted to last
 * final), request latency, time to a final state (p50/p99) and outcomes, with the bulk/single
 * ratio. Exits 1 if any order is left in a non-final state.
 *
 * Settings (environment): LOAD_DURATION seconds of the single phase (default 10),
 * LOAD_CONNECTIONS (default 8), LOAD_BULK_SIZE orders per bulk request (default 50),
 * LOAD_BULK_ORDERS orders of the bulk phase (default: as many as the single phase placed, else
 * 500), LOAD_DECLINE_RATE share of orders paid with a declined card (default 0.1), LOAD_RATE
 * requests per second to offer at most (default: as fast as the connections go),
 * LOAD_DRAIN_TIMEOUT seconds to wait for the last orders of a phase (default 180), LOAD_PHASES
 * (`single,bulk`, the default, or one of them), LOAD_CPU_PROF_DIR (a directory: the shop's process
 * writes a V8 CPU profile there when it stops, for Chrome DevTools). When the offered rate is above what the shop
 * completes, orders queue up and the time to a final state includes that queueing: cap it with
 * LOAD_RATE to measure the latency of a sustainable load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { quantile } from 'simple-statistics';
import { recordSummaryRows, type SummaryRow } from '../../../scripts/bench-summary';
import { DEFAULT_TENANTS } from '../src/config/tenants';
import { FINAL_ORDER_STATUSES, ORDER_STATUSES, type OrderStatus } from '../src/domain/order';

const durationSeconds = Number(process.env.LOAD_DURATION ?? 10);
const connections = Number(process.env.LOAD_CONNECTIONS ?? 8);
const bulkSize = Number(process.env.LOAD_BULK_SIZE ?? 50);
const declineRate = Number(process.env.LOAD_DECLINE_RATE ?? 0.1);
const bulkOrders = process.env.LOAD_BULK_ORDERS ? Number(process.env.LOAD_BULK_ORDERS) : undefined;
const rate = process.env.LOAD_RATE ? Number(process.env.LOAD_RATE) : undefined;
const drainTimeoutMs = Number(process.env.LOAD_DRAIN_TIMEOUT ?? 180) * 1000;
const phases = (process.env.LOAD_PHASES ?? 'single,bulk').split(',') as Phase[];
const cpuProfileDir = process.env.LOAD_CPU_PROF_DIR;
const exampleDir = fileURLToPath(new URL('..', import.meta.url));

type Phase = 'single' | 'bulk';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A shop of one phase: its URL, where its output goes, and how to stop it. */
interface ShopProcess {
  url: string;
  log: string;
  stop(): Promise<void>;
}

/**
 * The environment without the `npm_*` variables pnpm gives its scripts (about 30 here), as the shop
 * would run deployed: the Inngest SDK copies the whole environment several times per request, at
 * about 1 µs a variable, which with them was 8% of the shop's CPU.
 */
function withoutPackageManagerVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('npm_')));
}

async function startShopProcess(phase: Phase): Promise<ShopProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // the shop's own output goes to a file, so that it does not scramble the progress display
  const log = join(tmpdir(), `sagaline-load-test-${phase}-${process.pid}.log`);
  const simulatorsDir = await mkdtemp(join(tmpdir(), 'sagaline-load-test-simulators-'));
  // plenty of stock, so that the run measures the pipeline, not backorders waiting for restocks
  const tenants = DEFAULT_TENANTS.map((tenant) => ({
    ...tenant,
    catalog: tenant.catalog.map((product) => ({ ...product, initialStock: 10_000_000 })),
  }));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
      '--import',
      '@swc-node/register/esm-register',
      'src/main.ts',
    ],
    {
      cwd: exampleDir,
      env: {
        ...withoutPackageManagerVariables(process.env),
        PORT: String(port),
        LOG_LEVEL: 'warn',
        THROTTLE_LIMIT: '100000000',
        TENANTS: JSON.stringify(tenants),
        SIMULATORS_PORT: '0',
        SIMULATORS_DATA_DIR: simulatorsDir,
      },
      stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(simulatorsDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`The shop exited with code ${child.exitCode} while starting; see ${log}.`);
    }
    try {
      const health = await fetch(`${url}/health/detailed`);
      if (health.ok) return { url, log, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The shop did not become healthy within 60 s; see ${log}.`);
    }
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

let counter = 0;

/** A new order body in the shop's own spelling; a share of them pay with a declined card. */
function nextOrder() {
  counter += 1;
  return {
    customerId: `load-${counter}`,
    email: `load-${counter}@example.com`,
    items: [{ productId: counter % 3 === 0 ? 'gadget' : 'widget', quantity: 1 }],
    paymentToken: Math.random() < declineRate ? 'tok_chargeDeclined' : 'tok_visa',
    shippingAddress: { name: 'Load', line1: '1 Bench St', city: 'Perf', postalCode: '10101', country: 'US' },
  };
}

/** What one phase measured. */
interface PhaseResult {
  phase: Phase;
  accepted: number;
  requests: number;
  otherResponses: number;
  acceptedPerSecond: number;
  completedPerSecond: number;
  latency: { p50: number; p99: number };
  toFinalMs: number[];
  outcomes: Record<string, number>;
  nonFinal: number;
}

/**
 * Sends orders, one per request for `durationSeconds` or `orderCount` in bulks, then waits until
 * they are final or the drain times out.
 */
async function measure(phase: Phase, url: string, orderCount: number): Promise<PhaseResult> {
  const ids: string[] = [];
  let unsent = orderCount;
  // the last bulk takes what is left, so both phases place the same number of orders
  const nextBulkSize = () => {
    const size = Math.min(bulkSize, unsent);
    unsent -= size;
    return size;
  };
  const request: autocannon.Request =
    phase === 'single'
      ? {
          method: 'POST',
          path: '/orders',
          headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' },
          setupRequest: (sent) => ({ ...sent, body: JSON.stringify(nextOrder()) }),
          onResponse: (status, body) => {
            if (status === 202) ids.push(JSON.parse(body).id);
          },
        }
      : {
          method: 'POST',
          path: '/orders/bulk',
          headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' },
          setupRequest: (sent) => ({
            ...sent,
            body: JSON.stringify({ orders: Array.from({ length: nextBulkSize() }, nextOrder) }),
          }),
          onResponse: (status, body) => {
            if (status === 202) ids.push(...JSON.parse(body).orders.map((order: { id: string }) => order.id));
          },
        };
  const bulks = Math.ceil(orderCount / bulkSize);
  const how: autocannon.Options =
    phase === 'single'
      ? { url, connections, duration: durationSeconds }
      : { url, connections: Math.min(connections, bulks), amount: bulks };
  process.stdout.write(
    phase === 'single'
      ? `Sending orders for ${durationSeconds} s on ${connections} connections, one order per request:\n`
      : `Sending ${orderCount} orders on ${how.connections} connections, ${bulkSize} per request:\n`,
  );
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      // a request cut off by autocannon's timeout may still be stored, uncounted: wait for each
      { ...how, timeout: 600, ...(rate ? { overallRate: rate } : {}), requests: [request] },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    autocannon.track(instance, { renderResultsTable: false, renderLatencyTable: false });
  });

  // Polls the cheap list of open orders, so that the polling does not slow the pipeline down it
  // measures; each order is fetched whole (history included) once the list says all are final.
  const drainStarted = Date.now();
  const placed = new Set(ids);
  let orders: OrderView[] = [];
  for (;;) {
    // a set: an order moving between two open states while the lists are read shows up twice
    const open = new Set((await openOrderIds(url)).filter((id) => placed.has(id)));
    process.stdout.write(`\rWaiting for final states: ${ids.length - open.size}/${ids.length} final   `);
    const timedOut = Date.now() - drainStarted > drainTimeoutMs;
    if (open.size === 0 || timedOut) {
      orders = await fetchOrders(url, ids);
      // an order moving between two open states while the list was read is caught here
      if (timedOut || orders.every((order) => FINAL_ORDER_STATUSES.has(order.status))) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stdout.write('\n\n');

  const finalOrders = orders.filter((order) => FINAL_ORDER_STATUSES.has(order.status));
  const finalAt = (order: OrderView) => Date.parse(order.history.at(-1)?.at ?? order.placedAt);
  const outcomes: Record<string, number> = {};
  for (const order of orders) outcomes[order.status] = (outcomes[order.status] ?? 0) + 1;
  const firstPlaced = Math.min(...orders.map((order) => Date.parse(order.placedAt)));
  const lastFinal = Math.max(...finalOrders.map(finalAt));
  return {
    phase,
    accepted: ids.length,
    requests: result.requests.total,
    otherResponses: result.requests.total - result['2xx'],
    // autocannon's duration is in seconds; for the bulk phase, until the last answer came
    acceptedPerSecond: ids.length / result.duration,
    completedPerSecond: finalOrders.length / ((lastFinal - firstPlaced) / 1000),
    latency: { p50: result.latency.p50, p99: result.latency.p99 },
    toFinalMs: finalOrders.map((order) => finalAt(order) - Date.parse(order.placedAt)),
    outcomes,
    nonFinal: orders.length - finalOrders.length,
  };
}

const format = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const percentiles = (values: number[]) =>
  values.length ? `${format(quantile(values, 0.5), 0)} / ${format(quantile(values, 0.99), 0)}` : '-';

function printSummary(results: PhaseResult[]): void {
  const single = results.find((result) => result.phase === 'single');
  const bulk = results.find((result) => result.phase === 'bulk');
  const ratio = (of: (result: PhaseResult) => number) =>
    single && bulk && of(single) > 0 ? `${format(of(bulk) / of(single), 2)}x` : '';
  const rows: string[][] = [
    ['', ...results.map((result) => (result.phase === 'single' ? 'POST /orders' : 'POST /orders/bulk')), ''],
    [
      'orders per request',
      ...results.map((result) => (result.phase === 'single' ? '1' : String(bulkSize))),
      '',
    ],
    ['requests', ...results.map((result) => format(result.requests, 0)), ''],
    ['orders accepted (202)', ...results.map((result) => format(result.accepted, 0)), ''],
    ['non-2xx responses', ...results.map((result) => format(result.otherResponses, 0)), ''],
    [
      'orders accepted per second',
      ...results.map((result) => format(result.acceptedPerSecond)),
      ratio((result) => result.acceptedPerSecond),
    ],
    [
      'orders completed per second',
      ...results.map((result) => format(result.completedPerSecond)),
      ratio((result) => result.completedPerSecond),
    ],
    [
      'request latency p50 / p99 (ms)',
      ...results.map((result) => `${result.latency.p50} / ${result.latency.p99}`),
      '',
    ],
    ['time to a final state p50 / p99 (ms)', ...results.map((result) => percentiles(result.toFinalMs)), ''],
    [
      'outcomes',
      ...results.map((result) =>
        Object.entries(result.outcomes)
          .map(([status, n]) => `${status} ${n}`)
          .join(', '),
      ),
      '',
    ],
    ['orders left in a non-final state', ...results.map((result) => format(result.nonFinal, 0)), ''],
  ];
  if (single && bulk) rows[0][rows[0].length - 1] = 'bulk / single';
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const offered = rate ? `at most ${rate} requests/s` : 'unthrottled';
  process.stdout.write(
    `Load test summary (${connections} connections, ${offered}, Node ${process.version}; accepted per second: while sending; completed per second: first accepted to last final)\n`,
  );
  for (const row of rows) {
    const [label, ...cells] = row;
    process.stdout.write(
      `  ${label.padEnd(widths[0])}  ${cells.map((cell, i) => cell.padStart(widths[i + 1])).join('  ')}\n`,
    );
  }
}

/** The database the shop ran on, as the environment it inherits chooses it. */
function backendName(): string {
  if (process.env.DATABASE_URL) return 'PostgreSQL';
  return process.env.PGLITE_DIR ? 'PGlite on disk' : 'PGlite in memory';
}

/** A phase's rows in `pnpm bench`'s summary, against the targets of the performance issue. */
function summaryRows(result: PhaseResult): SummaryRow[] {
  const backend = backendName();
  const onPostgres = backend === 'PostgreSQL';
  const target = onPostgres ? 50 : 25;
  const sent = result.phase === 'single' ? 'POST /orders' : `bulks of ${bulkSize}`;
  const source = 'shop';
  const rows: SummaryRow[] = [
    {
      source,
      path: `the shop, completed orders/s (test:load, ${sent}, ${connections} connections), ${backend}`,
      sagaline: `${format(result.completedPerSecond)} orders/s`,
      peer: `orders offered: accepted at ${format(result.acceptedPerSecond)}/s`,
      ratio: `${format(result.completedPerSecond / target, 2)}x the target`,
      target: `≥ ${target} orders/s`,
      met: result.completedPerSecond >= target,
    },
  ];
  if (onPostgres && result.toFinalMs.length > 0) {
    const p99 = quantile(result.toFinalMs, 0.99);
    rows.push({
      source,
      path: `the shop, time to a final state p99 (test:load, ${sent}), ${backend}`,
      sagaline: `${format(p99 / 1000, 1)} s`,
      peer: '-',
      ratio: `${format(p99 / 2000, 1)}x the target`,
      target: '< 2 s',
      met: p99 < 2000,
    });
  }
  return rows;
}

async function main(): Promise<number> {
  const results: PhaseResult[] = [];
  for (const phase of phases) {
    const shop = await startShopProcess(phase);
    process.stdout.write(`Started a shop for "${phase}" on ${shop.url} (its log: ${shop.log})\n`);
    try {
      const orderCount = bulkOrders ?? results.find((result) => result.phase === 'single')?.accepted ?? 500;
      results.push(await measure(phase, shop.url, orderCount));
    } finally {
      await shop.stop();
    }
  }
  printSummary(results);
  recordSummaryRows(results.flatMap(summaryRows));
  return results.every((result) => result.nonFinal === 0 && result.accepted > 0) ? 0 : 1;
}

process.exitCode = await main();
