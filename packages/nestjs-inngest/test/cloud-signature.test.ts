import { createHmac } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InngestModule } from '../src';
import { type Platform, startApp, type TestApp } from './support/app';
import { OrderFunctions, PricingService } from './support/fixtures';

const signingKey = 'signkey-test-7a3f0c1e9b2d4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f';

/** Signs a body the way Inngest does: HMAC-SHA256 over canonical JSON + timestamp. */
function sign(body: unknown, at: Date, key = signingKey): string {
  const t = Math.floor(at.getTime() / 1000);
  const secret = key.replace(/^signkey-\w+-/, '');
  const s = createHmac('sha256', secret)
    .update(`${canonicalize(body)}${t}`)
    .digest('hex');
  return `t=${t}&s=${s}`;
}

function callRequestBody(orderId: string) {
  const event = { name: 'order/created', data: { orderId }, id: `evt-${orderId}`, ts: 1 };
  return {
    event,
    events: [event],
    steps: {},
    ctx: { run_id: `run-${orderId}`, attempt: 0, stack: { stack: [], current: 0 } },
    version: 2,
  };
}

describe.each<Platform>(['express', 'fastify'])('cloud mode signatures on %s', (platform) => {
  let testApp: TestApp;
  let serveUrl: string;
  let pricing: PricingService;

  beforeAll(async () => {
    testApp = await startApp(platform, {
      imports: [InngestModule.forRoot({ appId: 'shop', mode: 'cloud', signingKey, eventKey: 'test-key' })],
      providers: [PricingService, OrderFunctions],
    });
    serveUrl = `${testApp.url}/api/inngest`;
    pricing = testApp.app.get(PricingService);
  });

  afterAll(() => testApp?.close());

  async function post(body: unknown, signature?: string) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== undefined) headers['x-inngest-signature'] = signature;
    const response = await fetch(`${serveUrl}?fnId=shop-price-order&stepId=step`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('accepts a correctly signed Call Request and runs the function', async () => {
    const body = callRequestBody('signed');
    const result = await post(body, sign(body, new Date()));
    expect(result.status).toBe(206);
    expect(result.body[0]).toMatchObject({ op: 'StepRun', name: 'load-order', data: 'signed' });
  });

  it.each([
    ['a missing signature', () => undefined],
    [
      'a signature made with another key',
      (body: unknown) => sign(body, new Date(), `${signingKey.slice(0, -1)}0`),
    ],
    ['a stale signature (10 minutes old)', (body: unknown) => sign(body, new Date(Date.now() - 10 * 60_000))],
  ])('answers 401 to %s and does not run the function', async (_case, signatureFor) => {
    const callsBefore = pricing.calls.length;
    const body = callRequestBody('unsigned');
    const result = await post(body, signatureFor(body));
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ message: 'Unauthorized' });
    expect(pricing.calls.length).toBe(callsBefore);
  });

  it('answers 401 when the signed body was altered', async () => {
    const body = callRequestBody('original');
    const signature = sign(body, new Date());
    const result = await post(callRequestBody('tampered'), signature);
    expect(result.status).toBe(401);
  });
});
