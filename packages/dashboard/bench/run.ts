// Time to the dashboard's first page with 10,000 sagas stored, beside a trivial static page served
// by the same app as the floor, with the ratio. Two measures:
// - HTTP: the requests the first screen needs, in the order a browser makes them (the page, which
//   carries the first page of sagas, then its script and style together);
// - Chromium (when /usr/bin/chromium or CHROMIUM_PATH is there): from navigation to the first row
//   of the saga list drawn, against navigation to the static page loaded.
// Rows take turns and the median of many runs is reported, so that a busy machine slows both alike.
// The built package is measured (`pnpm bench` builds first): its assets are bundled only there.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Controller, Get, Header, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { InngestModule } from '@sagaline/nestjs-inngest';
import {
  MemorySagaStateStore,
  SAGA_STATE_STORE,
  Saga,
  SagaModule,
  type SagaState,
  SagaStep,
} from '@sagaline/saga';
import { recordSummaryRows } from '../../../scripts/bench-summary';
import { DashboardModule } from '../dist/index.js';

const SAGAS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const STATIC_PAGE = '<!doctype html><title>floor</title><p>A static page.</p>';

@Saga({ id: 'order-processing', trigger: 'order.ready', businessKey: 'orderId' })
class OrderSaga {
  @SagaStep('reserve') reserve() {}
  @SagaStep('charge') charge() {}
  @SagaStep('ship') ship() {}
}

@Controller('static')
class StaticPage {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page() {
    return STATIC_PAGE;
  }
}

@Module({
  imports: [
    InngestModule.forRoot({ appId: 'bench', mode: 'embedded', isGlobal: true }),
    SagaModule.forRoot({ stateStore: new MemorySagaStateStore({ maxStates: SAGAS * 2 }) }),
    DashboardModule.forRoot({ guard: 'none' }),
  ],
  controllers: [StaticPage],
  providers: [OrderSaga],
})
class BenchModule {}

const app = await NestFactory.create(BenchModule, new ExpressAdapter(), {
  logger: ['error'],
  abortOnError: false,
});
await app.listen(0, '127.0.0.1');
const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');

// 10,000 sagas, saved as the runner saves them: the dashboard's list follows the store's saves
const store = app.get(SAGA_STATE_STORE);
const statuses = ['completed', 'completed', 'completed', 'compensated', 'running', 'cancelled'] as const;
const started = Date.now() - SAGAS * 1000;
for (let i = 0; i < SAGAS; i++) {
  const status = statuses[i % statuses.length];
  const state: SagaState = {
    sagaId: 'order-processing',
    runId: `01RUN${String(i).padStart(8, '0')}`,
    businessKey: `ord_${i}`,
    status,
    startedSteps: ['reserve', 'charge', 'ship'],
    completedSteps: status === 'running' ? ['reserve'] : ['reserve', 'charge', 'ship'],
    compensatedSteps: status === 'compensated' ? ['charge', 'reserve'] : [],
    results: {},
    compensationFailures: [],
    timings: {},
    startedAt: started + i * 1000,
    updatedAt: started + i * 1000 + 500,
    event: { name: 'order.ready', data: { orderId: `ord_${i}` } },
  };
  await store.save(state);
}

const text = async (path: string) => {
  const response = await fetch(base + path);
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.text();
};
const sagaCount = JSON.parse(await text('/dashboard/api/sagas')).total;
if (sagaCount !== SAGAS) throw new Error(`The dashboard lists ${sagaCount} sagas, expected ${SAGAS}.`);

const firstScreen = async () => {
  const page = await text('/dashboard');
  const [script, style] = [...page.matchAll(/(?:src|href)="(\/dashboard\/app\.\w+)\?/g)].map((m) => m[1]);
  // the page carries its first screen's data (overview and first page of sagas): nothing else to wait for
  if (!page.includes('"total":10000'))
    throw new Error(
      `The page does not carry the first page of sagas: ${page.slice(page.indexOf('id="boot"'), page.indexOf('id="boot"') + 300)}`,
    );
  await Promise.all([text(script), text(style)]);
};
const floor = () => text('/static');

async function median(rows: Record<string, () => Promise<unknown>>, runs: number) {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(rows).map((name) => [name, []]));
  for (const row of Object.values(rows)) for (let i = 0; i < 10; i++) await row(); // warm-up
  for (let run = 0; run < runs; run++) {
    for (const [name, row] of Object.entries(rows)) {
      const begun = performance.now();
      await row();
      samples[name].push(performance.now() - begun);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => {
      values.sort((a, b) => a - b);
      return [
        name,
        { median: values[Math.floor(values.length / 2)], p95: values[Math.floor(values.length * 0.95)] },
      ];
    }),
  );
}

const report = (
  title: string,
  results: Record<string, { median: number; p95: number }>,
  floorRow: string,
) => {
  console.log(`\n${title}`);
  console.log('| row | median ms | p95 ms | × floor |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, { median: m, p95 }] of Object.entries(results))
    console.log(
      `| ${name} | ${m.toFixed(2)} | ${p95.toFixed(2)} | ${(m / results[floorRow].median).toFixed(1)} |`,
    );
};

const http = await median(
  {
    'static page (floor)': floor,
    'dashboard first screen (page with its data, script, style)': firstScreen,
    'sagas API, status filter over 10,000': () => text('/dashboard/api/sagas?status=compensated'),
    'sagas API, last page': () => text('/dashboard/api/sagas?page=400'),
  },
  RUNS,
);
report(`HTTP, ${SAGAS} sagas stored, ${RUNS} runs`, http, 'static page (floor)');

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromiumPath)) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  // One warm tab with its HTTP cache off: every load fetches the page, its data, script and style
  // again, without timing the start of a browser process (a new context per load spends most of
  // its time spawning a renderer, which no page can change). The tab keeps its renderer, as it
  // does between a site's pages.
  const context = await browser.newContext();
  const page = await context.newPage();
  const devtools = await context.newCDPSession(page);
  await devtools.send('Network.enable'); // the cache setting holds only with the domain enabled
  await devtools.send('Network.setCacheDisabled', { cacheDisabled: true });
  const load = (url: string, ready: string) => async () => {
    await page.goto(`${base}/static`); // same origin, so the tab's renderer is kept
    const begun = performance.now();
    await page.goto(url);
    await page.locator(ready).first().waitFor();
    return performance.now() - begun;
  };
  const rows = {
    'static page (floor)': load(`${base}/static`, 'p'),
    'dashboard, first saga row drawn': load(`${base}/dashboard`, '#sagas tbody tr'),
  };
  const samples: Record<string, number[]> = {
    'static page (floor)': [],
    'dashboard, first saga row drawn': [],
  };
  const browserRuns = Math.max(20, Math.floor(RUNS / 4));
  for (const row of Object.values(rows)) await row(); // warm-up
  for (let run = 0; run < browserRuns; run++)
    for (const [name, row] of Object.entries(rows)) samples[name].push(await row());
  const results = Object.fromEntries(
    Object.entries(samples).map(([name, values]) => {
      values.sort((a, b) => a - b);
      return [
        name,
        { median: values[Math.floor(values.length / 2)], p95: values[Math.floor(values.length * 0.95)] },
      ];
    }),
  );
  report(
    `Chromium (headless, one tab, HTTP cache off), ${SAGAS} sagas stored, ${browserRuns} loads`,
    results,
    'static page (floor)',
  );
  const target = results['dashboard, first saga row drawn'].median;
  const floorMs = results['static page (floor)'].median;
  console.log(
    `\ntarget: first page under 200 ms with ${SAGAS} sagas: ${target.toFixed(0)} ms median, ${target < 200 ? 'met' : 'MISSED'}`,
  );
  recordSummaryRows([
    {
      source: 'dashboard',
      path: `dashboard page load, first saga row drawn, ${SAGAS.toLocaleString('en')} sagas stored`,
      sagaline: `${target.toFixed(0)} ms`,
      peer: `Chromium, a static page ${floorMs.toFixed(0)} ms`,
      ratio: `${(target / floorMs).toFixed(1)}x the floor`,
      target: '< 200 ms',
      met: target < 200,
    },
  ]);
  await browser.close();
} else {
  console.log(
    `\n(no Chromium at ${chromiumPath}: the browser rows are skipped; run scripts/ensure-chromium.sh)`,
  );
}
await app.close();
