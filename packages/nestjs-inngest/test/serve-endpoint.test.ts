import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InngestHealthIndicator, InngestModule, InngestService } from '../src';
import { type Platform, startApp, type TestApp } from './support/app';
import { callFunction, driveToCompletion } from './support/call-requests';
import { OrderFunctions, PricingService } from './support/fixtures';
import { type RegisterSink, startRegisterSink } from './support/register-sink';

describe.each<Platform>(['express', 'fastify'])('the serve endpoint on %s', (platform) => {
  let sink: RegisterSink;
  let testApp: TestApp;
  let serveUrl: string;

  beforeAll(async () => {
    sink = await startRegisterSink();
    testApp = await startApp(
      platform,
      {
        imports: [InngestModule.forRoot({ appId: 'shop', mode: 'dev', baseUrl: sink.url, bodyLimit: '3mb' })],
        providers: [PricingService, OrderFunctions],
      },
      (app) => app.setGlobalPrefix('v1'),
    );
    serveUrl = `${testApp.url}/v1/api/inngest`;
  });

  afterAll(async () => {
    await testApp?.close();
    await sink?.close();
  });

  it('answers GET with the introspection document under the global prefix', async () => {
    const response = await fetch(serveUrl);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ function_count: 2, mode: 'dev' });
  });

  it('registers every discovered function with the server on PUT and reports itself synced', async () => {
    const health = testApp.app.get(InngestHealthIndicator);
    expect(health.isHealthy().inngest).toMatchObject({ status: 'down', synced: false });

    const response = await fetch(serveUrl, { method: 'PUT' });

    expect(response.status).toBe(200);
    const registration = sink.registrations.at(-1)!;
    expect(registration.appName).toBe('shop');
    expect(registration.url).toBe(serveUrl);
    expect(registration.functions.map((fn) => fn.id).sort()).toEqual([
      'shop-nightly-report',
      'shop-price-order',
    ]);
    expect(testApp.app.get(InngestService).synced).toBe(true);
    expect(health.isHealthy().inngest).toEqual({ status: 'up', mode: 'dev', synced: true, functions: 2 });
  });

  it('returns the function configs directly on an in-band PUT', async () => {
    const response = await fetch(serveUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-inngest-sync-kind': 'in_band' },
      body: JSON.stringify({ url: serveUrl }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const priceOrder = body.functions.find((fn: { id: string }) => fn.id === 'shop-price-order');
    expect(priceOrder.triggers).toEqual([{ event: 'order/created' }]);
    expect(priceOrder.steps.step.retries).toEqual({ attempts: 2 });
  });

  it('drives a three-step function to completion through Call Requests, with injection working', async () => {
    const pricing = testApp.app.get(PricingService);
    const event = { name: 'order/created', data: { orderId: 'o-1' }, id: 'evt-1', ts: Date.now() };

    const result = await driveToCompletion(serveUrl, 'shop-price-order', event);

    expect(result.output).toEqual({ orderId: 'o-1', total: 84 });
    expect(result.stepNames).toEqual(['load-order', 'quote', 'total']);
    expect(result.requests).toBe(4);
    expect(pricing.calls).toEqual(['o-1']);
  });

  it('accepts a Call Request larger than Nest’s and Fastify’s default body limits but within bodyLimit', async () => {
    const event = { name: 'order/created', data: { orderId: 'o-2', padding: 'x'.repeat(600_000) } };
    const result = await callFunction(serveUrl, 'shop-price-order', { event });
    expect(result.status).toBe(206);
  });

  it('rejects a body over bodyLimit with 413 and names the option to raise', async () => {
    const event = { name: 'order/created', data: { orderId: 'o-3', padding: 'x'.repeat(2_000_000) } };
    const result = await callFunction(serveUrl, 'shop-price-order', { event });
    expect(result.status).toBe(413);
    expect(result.body.message).toContain('raise `bodyLimit` in InngestModule.forRoot()');
  });

  it('leaves the app’s other routes alone', async () => {
    const response = await fetch(`${testApp.url}/v1/elsewhere`);
    expect(response.status).toBe(404);
  });
});
