import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callSimulator as call, type SimulatorsProcess, startSimulatorsProcess } from '../../src/simulators';
import { orderBody, waitFor } from '../support/test-shop';

const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Whether `pid` still runs. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie (dead, not yet reaped by whoever inherited it) still answers signal 0
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

interface ShopProcess {
  child: ChildProcess;
  url: string;
  inboxUrl: string;
  simulatorsPid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the shop as `pnpm start` does, on free ports, and resolves once it printed its banner. */
async function startShopProcess(dataDir: string): Promise<ShopProcess> {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    cwd: EXAMPLE_DIR,
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'warn',
      ENGINE_RETRY_BACKOFF_SCALE: '0.001',
      SIMULATORS_PORT: '0',
      SIMULATORS_DATA_DIR: dataDir,
      PAYMENT_GATEWAY_URL: '',
      CARRIER_URL: '',
      SMTP_URL: '',
      ALERT_WEBHOOK_URL: '',
      DATABASE_URL: '',
      PGLITE_DIR: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const banner = await waitFor(
    'the shop to print its banner',
    async () => {
      if (child.exitCode !== null) throw new Error(`The shop exited with ${child.exitCode}:\n${output}`);
      const url = /Shop API\s+(\S+)/.exec(output)?.[1];
      const inboxUrl = /read mail at (\S+)\/messages/.exec(output)?.[1];
      const pid = /Simulators\s+process (\d+)/.exec(output)?.[1];
      if (!url || !inboxUrl || !pid) return undefined;
      return { url, inboxUrl, simulatorsPid: Number(pid) };
    },
    55_000,
  );
  return { child, exited, ...banner };
}

describe('the shop started as `pnpm example` does, with its simulators in their own process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaline-shop-simulators-'));
  let shop: ShopProcess;
  let restarted: SimulatorsProcess | undefined;
  beforeAll(async () => {
    shop = await startShopProcess(dataDir);
  });
  afterAll(async () => {
    shop?.child.kill('SIGKILL');
    await restarted?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the simulators in another process, which stops when the shop is killed, its ledgers kept', async () => {
    expect(shop.simulatorsPid).not.toBe(shop.child.pid);
    expect(running(shop.simulatorsPid)).toBe(true);
    const body = orderBody();
    const placed = await fetch(`${shop.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' },
      body: JSON.stringify(body),
    });
    const { id } = (await placed.json()) as { id: string };
    const order = await waitFor('the order to ship', async () => {
      const response = await fetch(`${shop.url}/orders/${id}`, { headers: { 'x-tenant-id': 'acme' } });
      const view = (await response.json()) as any;
      return view.status === 'shipped' && view;
    });
    const mailed = await waitFor('the shipping email', async () => {
      const inbox = await call(`${shop.inboxUrl}/messages?to=${body.email}`);
      return inbox.body.length > 0 && inbox.body;
    });

    shop.child.kill('SIGKILL');
    await shop.exited;
    await waitFor('the orphaned simulators process to stop', async () => !running(shop.simulatorsPid));

    restarted = await startSimulatorsProcess({ dataDir, port: 0 });
    const charge = await call(`${restarted.urls.paymentGateway}/v1/charges/${order.payment.chargeId}`);
    expect(charge).toMatchObject({ status: 200, body: { amount: order.payment.amount, amountRefunded: 0 } });
    const shipment = await call(`${restarted.urls.carrier}/v1/shipments/${order.shipment.id}`);
    expect(shipment).toMatchObject({ status: 200, body: { status: 'dispatched' } });
    const inbox = await call(`${restarted.urls.smtpInbox}/messages?to=${body.email}`);
    expect(inbox.body).toEqual(mailed);
  });
});

describe('the shop stopped with SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaline-shop-simulators-'));
  let shop: ShopProcess;
  beforeAll(async () => {
    shop = await startShopProcess(dataDir);
  });
  afterAll(() => {
    shop?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops itself, then its simulators, which release their ledgers', async () => {
    shop.child.kill('SIGTERM');
    expect(await shop.exited).toEqual({ code: 0, signal: null });
    await waitFor('the simulators process to stop', async () => !running(shop.simulatorsPid));
    expect(readdirSync(dataDir).filter((file) => file.endsWith('.lock'))).toEqual([]);
  });
});
