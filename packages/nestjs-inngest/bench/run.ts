// Throughput of the serve endpoint: a Nest app with InngestModule vs the same function served by
// the SDK's own `inngest/express` handler on a bare Express app (what a user would write by hand).
// Each request is the first Call Request of a run: the SDK runs one step and answers 206.
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import { Inngest } from 'inngest';
import { serve } from 'inngest/express';
import { recordSummaryRows } from '../../../scripts/bench-summary';
import { type InngestContext, InngestFunction, InngestModule } from '../src';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = 8;

@Injectable()
class Work {
  @InngestFunction({ id: 'work', triggers: { event: 'bench/work' } })
  async run({ step }: InngestContext) {
    return step.run('one', () => 1);
  }
}

async function nestServer(): Promise<{ url: string; close(): Promise<void> }> {
  @Module({
    imports: [InngestModule.forRoot({ appId: 'bench', mode: 'dev', baseUrl: 'http://127.0.0.1:9' })],
    providers: [Work],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { url: `${await app.getUrl()}/api/inngest`, close: () => app.close() };
}

async function bareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const client = new Inngest({ id: 'bench', isDev: true, baseUrl: 'http://127.0.0.1:9' });
  const fn = client.createFunction({ id: 'work', triggers: [{ event: 'bench/work' }] }, async ({ step }) =>
    step.run('one', () => 1),
  );
  const app = express();
  app.use(express.json({ limit: '16mb' }));
  app.use('/api/inngest', serve({ client, functions: [fn] }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/inngest`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function measure(url: string): Promise<{ perSecond: number; p50: number; p99: number }> {
  const event = { name: 'bench/work', data: {} };
  const body = JSON.stringify({
    event,
    events: [event],
    steps: {},
    ctx: { run_id: 'bench', attempt: 0, stack: { stack: [], current: 0 } },
    version: 2,
  });
  const target = `${url}?fnId=bench-work&stepId=step`;
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < REQUESTS) {
      const start = performance.now();
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 206) throw new Error(`unexpected status ${response.status}`);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function main() {
  const rows: Array<[string, Awaited<ReturnType<typeof measure>>]> = [];
  for (const [name, start] of [
    ['inngest/express on bare Express', bareServer],
    ['@sagaline/nestjs-inngest (Nest + Express)', nestServer],
  ] as const) {
    const server = await start();
    await measure(server.url); // warm-up
    rows.push([name, await measure(server.url)]);
    await server.close();
  }
  console.log(
    `\nServe endpoint, ${REQUESTS} Call Requests, ${CONCURRENCY} concurrent (Node ${process.version})\n`,
  );
  console.log('| server | requests/s | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
  }
  const ratio = rows[1]![1].perSecond / rows[0]![1].perSecond;
  console.log(`\nratio (binding / bare SDK handler): ${ratio.toFixed(2)}x throughput`);
  recordSummaryRows([
    {
      source: 'nestjs-inngest',
      path: `serve endpoint, ${CONCURRENCY} concurrent Call Requests`,
      sagaline: `${rows[1]![1].perSecond.toFixed(0)} requests/s`,
      peer: `inngest/express on bare Express ${rows[0]![1].perSecond.toFixed(0)}`,
      ratio: `${ratio.toFixed(2)}x the throughput`,
      target: '-',
    },
  ]);
}

void main();
