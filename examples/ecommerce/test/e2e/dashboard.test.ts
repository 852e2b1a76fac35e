/// <reference lib="dom" />
// (the callbacks passed to page.evaluate run in the browser)
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, startTestShop, type TestShop } from '../support/test-shop';

// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
// the whole shop. The test waits for what the page shows; it never reloads it, so whatever changes
// on screen came over the live feed.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../../../packages/dashboard/docs/', import.meta.url));
const USER = 'admin';
const PASSWORD = 'browser-test-password';
/** Generous: the machine may be busy; nothing waits for a duration, only for a condition. */
const SEEN = { timeout: 30_000 };

/** Flags that keep Chromium off the network and quiet: only 127.0.0.1 resolves. */
const CHROMIUM_ARGS = [
  '--no-sandbox', // the tests run as root
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  '--no-proxy-server',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-sync',
  '--disable-extensions',
  '--metrics-recording-only',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication',
];

describe('the dashboard in a browser', () => {
  let shop: TestShop;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const savedPassword = process.env.DASHBOARD_PASSWORD;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`No Chromium at ${CHROMIUM}: run scripts/ensure-chromium.sh (or set CHROMIUM_PATH).`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    process.env.DASHBOARD_PASSWORD = PASSWORD;
    shop = await startTestShop('pglite', { BREAKER_OPEN_MS: '5000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({
      httpCredentials: { username: USER, password: PASSWORD },
      viewport: { width: 1280, height: 860 },
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    if (savedPassword === undefined) delete process.env.DASHBOARD_PASSWORD;
    else process.env.DASHBOARD_PASSWORD = savedPassword;
  });

  const place = async (overrides: Record<string, unknown> = {}) => {
    const { status, body } = await shop.request('POST', '/orders', { body: orderBody(overrides) });
    expect(status).toBe(202);
    return body.id as string;
  };

  /**
   * Opens the list of order sagas, then places an order and follows its saga from the list to its
   * page, as a person would: the new saga appears in the open list without a reload.
   */
  const placeAndOpenSaga = async (overrides: Record<string, unknown> = {}) => {
    await page.goto(`${shop.url}/dashboard#/sagas?sagaId=order-processing`);
    await page.locator('#sagas').waitFor(SEEN);
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const orderId = await place(overrides);
    const link = page.locator('#sagas tbody tr', { hasText: orderId }).locator('a').first();
    await link.waitFor(SEEN);
    await link.click();
    await page.locator('#steps').waitFor(SEEN);
    return orderId;
  };

  it('refuses an anonymous request, in a browser and over plain HTTP', async () => {
    const anonymous = await browser.newContext();
    try {
      const browserPage = await anonymous.newPage();
      // headless Chromium answers a Basic challenge it has no credentials for with a failed navigation
      const [response] = await Promise.all([
        browserPage.waitForResponse(`${shop.url}/dashboard`),
        browserPage.goto(`${shop.url}/dashboard`).catch(() => null),
      ]);
      expect(response.status()).toBe(401);
      expect(await browserPage.locator('#main').count()).toBe(0);
    } finally {
      await anonymous.close();
    }
    for (const path of ['/dashboard', '/dashboard/api/sagas', '/dashboard/api/live']) {
      const response = await fetch(`${shop.url}${path}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Basic');
    }
  });

  it('shows an order’s saga step by step as it runs, until it is completed', async () => {
    // a slow carrier keeps the saga on its shipping steps long enough to watch
    await shop.control('carrier', { latencyMs: 1500 });
    try {
      await placeAndOpenSaga({ items: [{ productId: 'widget', quantity: 1 }] });
      // remember every state the steps table shows
      await page.evaluate(() => {
        const w = window as unknown as { seen: string[] };
        w.seen = [];
        const record = () => {
          const rows = [...document.querySelectorAll('#steps tr[data-step]')] as HTMLElement[];
          w.seen.push(rows.map((row) => `${row.dataset.step}=${row.dataset.status}`).join(' '));
        };
        record();
        new MutationObserver(record).observe(document.getElementById('main')!, { childList: true });
      });
      await page.locator('#saga-status [data-status="completed"]').waitFor(SEEN);

      const statuses = await page.$$eval('#steps tr[data-step]', (rows) =>
        rows.map((row) => [(row as HTMLElement).dataset.step, (row as HTMLElement).dataset.status]),
      );
      expect(statuses.map(([step]) => step)).toEqual([
        'check-cancellation',
        'reserve-inventory',
        'assess-fraud',
        'charge-payment',
        'confirm-order',
        'prepare-shipment',
        'dispatch-shipment',
        'notify-email',
        'notify-sms',
        'notify-push',
      ]);
      expect(statuses.every(([, status]) => status === 'completed')).toBe(true);
      const { seen, sameDocument } = await page.evaluate(() => {
        const w = window as unknown as { seen: string[]; sameDocument: boolean };
        return { seen: w.seen, sameDocument: w.sameDocument };
      });
      expect(sameDocument).toBe(true);
      // the page showed the saga unfinished, then followed it live: more than one state, the last completed
      expect(seen[0]).toMatch(/=(pending|running|waiting)/);
      expect(new Set(seen).size).toBeGreaterThan(2);
      await expect(page.locator('#run-link').count()).resolves.toBe(1);
      // the order's own stream, redacted: no email of the customer anywhere on the page
      await page.locator('#key-events').waitFor(SEEN);
      expect(await page.content()).not.toMatch(/customer\d+@example\.com/);
      await page.screenshot({ path: `${SCREENSHOTS}saga-completed.png`, fullPage: true });

      await page.click('#run-link');
      await page.locator('#run-steps').waitFor(SEEN);
      expect(await page.locator('#run-steps tbody tr').count()).toBeGreaterThan(5);
    } finally {
      await shop.control('carrier', { latencyMs: 0 });
    }
  }, 90_000);

  it('shows a declined order’s compensations in reverse order of the steps', async () => {
    await placeAndOpenSaga({ paymentToken: 'tok_chargeDeclined' });
    await page.locator('#saga-status [data-status="compensated"]').waitFor(SEEN);
    await page.locator('#compensations li').first().waitFor(SEEN);

    const steps = await page.$$eval('#steps tr[data-step]', (rows) =>
      rows.map((row) => (row as HTMLElement).dataset.step!),
    );
    const compensations = await page.$$eval('#compensations li', (items) =>
      items.map((item) => [(item as HTMLElement).dataset.step!, (item as HTMLElement).dataset.status!]),
    );
    expect(compensations).toEqual([
      ['charge-payment', 'compensated'],
      ['reserve-inventory', 'compensated'],
    ]);
    const positions = compensations.map(([step]) => steps.indexOf(step));
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    expect(await page.locator('tr[data-step="charge-payment"]').getAttribute('data-status')).toBe('failed');
    await page.screenshot({ path: `${SCREENSHOTS}saga-compensated.png`, fullPage: true });
  }, 90_000);

  it('shows the payment breaker open while the gateway is down', async () => {
    await page.goto(`${shop.url}/dashboard#/breakers`);
    await page
      .locator('[data-breaker="payment-gateway"]')
      .or(page.getByText('No breaker'))
      .first()
      .waitFor(SEEN);
    await shop.control('paymentGateway', { outage: true });
    let ids: string[] = [];
    try {
      ids = await Promise.all(Array.from({ length: 6 }, () => place()));
      const open = page.locator('[data-breaker="payment-gateway"][data-state="open"]');
      await open.waitFor(SEEN);
      await expect(open.locator('[data-probe-at]').count()).resolves.toBe(1);
      await page.screenshot({ path: `${SCREENSHOTS}breakers.png` });
    } finally {
      await shop.control('paymentGateway', { outage: false });
    }
    for (const id of ids) expect((await shop.settled(id)).status).toBe('shipped');
    await page.locator('[data-breaker="payment-gateway"][data-state="closed"]').waitFor(SEEN);
  }, 90_000);

  it('lists the sagas by status and browses the event store', async () => {
    await page.goto(`${shop.url}/dashboard#/sagas`);
    await page.locator('#sagas tbody tr').first().waitFor(SEEN);
    await page.locator('.tabs a', { hasText: 'compensated' }).first().click();
    await page.locator('#sagas tbody tr [data-status="compensated"]').first().waitFor(SEEN);
    await page.goto(`${shop.url}/dashboard#/sagas`);
    await page.locator('#sagas tbody tr').first().waitFor(SEEN);
    await page.screenshot({ path: `${SCREENSHOTS}sagas.png` });

    await page.goto(`${shop.url}/dashboard#/streams`);
    await page.locator('#categories a', { hasText: 'order' }).first().waitFor(SEEN);
    await page.locator('#streams tbody tr a').first().click();
    await page.locator('#stream-events tbody tr').first().waitFor(SEEN);
    await page.screenshot({ path: `${SCREENSHOTS}event-store.png` });
  }, 90_000);

  it('shows a new order’s stream on the event store page as it is written, without a reload', async () => {
    await page.goto(`${shop.url}/dashboard#/streams?category=order`);
    await page.locator('#streams').waitFor(SEEN);
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const orderId = await place();
    await page
      .locator('#streams tbody tr', { hasText: `order-${orderId}` })
      .first()
      .waitFor(SEEN);
    expect(await page.evaluate(() => (window as unknown as { sameDocument: boolean }).sameDocument)).toBe(
      true,
    );
  }, 90_000);

  it('logged no error in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
