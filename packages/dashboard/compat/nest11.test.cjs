// The built dashboard (CommonJS) in a NestJS 11 app, on Express and on Fastify: mounted, guarded,
// showing a breaker service it found by name. Run by compat-nest11.sh in a scratch project where
// only NestJS 11 is installed.
require('reflect-metadata');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ExpressAdapter } = require('@nestjs/platform-express');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { Subject } = require('rxjs');
const { basicAuthGuard, DashboardModule } = require('@sagaline/dashboard');

class CircuitBreakerService {
  constructor() {
    this.stateChanges$ = new Subject();
    this.state = 'closed';
  }
  list() {
    const stats = { calls: 0, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 };
    return [
      { name: 'payments', state: this.state, openedAt: 0, probeAt: 0, degraded: false, stats, totals: {} },
    ];
  }
  async forceOpen() {
    this.stateChanges$.next({ name: 'payments', from: this.state, to: 'forced_open', at: Date.now() });
    this.state = 'forced_open';
  }
  async forceClosed() {}
  async reset() {}
}

const auth = { authorization: `Basic ${Buffer.from('ops:a long enough secret').toString('base64')}` };

for (const platform of ['express', 'fastify']) {
  test(`NestJS ${require('@nestjs/core/package.json').version} on ${platform}`, async () => {
    class AppModule {}
    Module({
      imports: [
        DashboardModule.forRoot({
          guard: basicAuthGuard({ username: 'ops', password: 'a long enough secret' }),
          actions: true,
        }),
      ],
      providers: [CircuitBreakerService],
    })(AppModule);
    const app = await NestFactory.create(
      AppModule,
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      {
        logger: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      assert.equal((await fetch(`${url}/dashboard`)).status, 401);
      const page = await fetch(`${url}/dashboard`, { headers: auth });
      assert.equal(page.status, 200);
      assert.match(
        await page.text(),
        /"has":\{"sagas":false,"breakers":true,"runs":false,"eventStore":false\}/,
      );
      const breakers = await (await fetch(`${url}/dashboard/api/breakers`, { headers: auth })).json();
      assert.equal(breakers.items[0].name, 'payments');
      const forced = await fetch(`${url}/dashboard/api/actions/breaker?name=payments&to=open`, {
        method: 'POST',
        headers: { ...auth, 'x-sagaline-dashboard': 'action' },
      });
      assert.equal(forced.status, 200);
      assert.equal((await forced.json()).state, 'forced_open');
    } finally {
      await app.close();
    }
  });
}
