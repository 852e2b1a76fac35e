import { EventStore } from '@sagaline/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthGuard } from '../src';
import { type Platform, startTestApp, type TestApp } from './support/test-app';
import { readEvents, waitFor } from './support/wait';

const password = 'correct horse battery staple';
const auth = { authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` };

describe.each<Platform>(['express', 'fastify'])('the dashboard on %s', (platform) => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp(platform, {
      guard: basicAuthGuard({ username: 'ops', password }),
      actions: true,
      businessKeyStreams: (saga) => [{ streamId: `order-${saga.businessKey}` }],
    });
  });
  afterAll(() => shop?.close());

  const get = async (path: string, headers: Record<string, string> = auth) => {
    const response = await fetch(`${shop.url}/dashboard${path}`, { headers });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const getJson = async (path: string) => {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    return JSON.parse(body);
  };
  const start = async (orderId: string, data: Record<string, unknown> = {}) => {
    await shop.inngest.send({
      name: 'checkout.requested',
      data: { orderId, card: 'tok_visa', email: 'ada@example.com', ...data },
    } as never);
    return waitFor(`the saga of ${orderId} in the list`, async () => {
      const page = await getJson(`/api/sagas?q=${orderId}`);
      return page.items[0];
    });
  };

  it('refuses a request without credentials with a Basic challenge, for the page and the API alike', async () => {
    for (const path of ['', '/api/sagas', '/app.js', '/api/live']) {
      const refused = await get(path, {});
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm="Sagaline dashboard"/);
    }
    const wrong = await get('', { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` });
    expect(wrong.status).toBe(401);
  });

  it('serves the page with its assets and a strict content security policy', async () => {
    const page = await get('');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.body).toContain('/dashboard/app.js?v=');
    const style = await get('/app.css');
    expect(style.headers.get('content-type')).toMatch(/text\/css/);
    expect(style.body).toContain('.badge');
    const script = await get('/app.js');
    expect(script.body).toContain('EventSource');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const etag = script.headers.get('etag')!;
    expect((await get('/app.js', { ...auth, 'if-none-match': etag })).status).toBe(304);
  });

  it('caches the assets at the versioned URLs the page links for good, and revalidates any other', async () => {
    const page = await get('');
    const versioned = /\/dashboard(\/app\.js\?v=[^"]+)"/.exec(page.body)![1];
    const forGood = 'public, max-age=31536000, immutable';
    const first = await get(versioned);
    expect(first.headers.get('cache-control')).toBe(forGood);
    const again = await get(versioned, { ...auth, 'if-none-match': first.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(again.headers.get('cache-control')).toBe(forGood);
    for (const other of ['/app.js', '/app.js?v=stale']) {
      const fresh = await get(other);
      expect(fresh.headers.get('cache-control')).toBe('no-cache');
      const revalidated = await get(other, { ...auth, 'if-none-match': fresh.headers.get('etag')! });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('shows what the app has', async () => {
    const overview = await getJson('/api/overview');
    expect(overview.has).toEqual({ sagas: true, breakers: true, runs: true, eventStore: true });
    expect(overview.sagaIds).toEqual(['checkout']);
    expect(overview.actions).toEqual({ cancelSaga: true, controlBreakers: true });
  });

  it('lists a completed saga and shows its timeline, run and business-key events, redacted', async () => {
    const orderId = `ok-${platform}`;
    await start(orderId);
    const saga = await waitFor('the saga to complete', async () => {
      const view = await getJson(`/api/sagas?q=${orderId}`);
      return view.items[0]?.status === 'completed' && view.items[0];
    });
    // the saga saves its end before its function returns: the run ends a moment later
    const detail = await waitFor('its run to end', async () => {
      const view = await getJson(`/api/saga?runId=${saga.runId}`);
      return view.run?.status === 'completed' && view;
    });
    expect(detail.steps.map((step: any) => [step.id, step.status, step.attempts])).toEqual([
      ['reserve', 'completed', 1],
      ['charge', 'completed', 1],
      ['ship', 'completed', 1],
    ]);
    expect(detail.run).toMatchObject({ id: saga.runId, status: 'completed' });
    expect(detail.businessKeyEvents.map((event: any) => event.type)).toEqual(['stock.reserved']);
    const shown = JSON.stringify(detail);
    expect(shown).not.toContain('ada@example.com');
    expect(shown).not.toContain('tok_visa');
    const run = await getJson(`/api/run?runId=${saga.runId}`);
    expect(run.sagaRunId).toBe(saga.runId);
    expect(JSON.stringify(run)).not.toContain('ada@example.com');
  });

  it('shows a declined saga’s compensations in the order they ran', async () => {
    const orderId = `declined-${platform}`;
    const saga = await start(orderId, { card: 'tok_chargeDeclined' });
    const detail = await waitFor('the saga to be compensated', async () => {
      const view = await getJson(`/api/saga?runId=${saga.runId}`);
      return view.state.status === 'compensated' && view;
    });
    expect(detail.compensations.map((step: any) => [step.id, step.status])).toEqual([
      ['charge', 'compensated'],
      ['reserve', 'compensated'],
    ]);
    expect(detail.steps.find((step: any) => step.id === 'charge')).toMatchObject({
      status: 'failed',
      errors: [{ message: 'card declined' }],
    });
    expect((await getJson('/api/sagas?status=compensated')).items.map((item: any) => item.runId)).toContain(
      saga.runId,
    );
  });

  it('pushes saga progress and breaker changes over Server-Sent Events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${shop.url}/dashboard/api/live`, {
      headers: auth,
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = readEvents(response.body!);
    try {
      await events.next('breakers');
      const orderId = `live-${platform}`;
      await shop.inngest.send({ name: 'checkout.requested', data: { orderId, card: 'tok_visa' } } as never);
      await events.until('sagas', (sagas: any[]) =>
        sagas.some((saga) => saga.businessKey === orderId && saga.status === 'completed'),
      );
      const forced = await fetch(`${shop.url}/dashboard/api/actions/breaker?name=payments&to=open`, {
        method: 'POST',
        headers: { ...auth, 'x-sagaline-dashboard': 'action' },
      });
      expect(forced.status).toBe(200);
      await events.until('breakers', (breakers: any[]) =>
        breakers.some((b) => b.name === 'payments' && b.state === 'forced_open'),
      );
      await fetch(`${shop.url}/dashboard/api/actions/breaker?name=payments&to=reset`, {
        method: 'POST',
        headers: { ...auth, 'x-sagaline-dashboard': 'action' },
      });
    } finally {
      controller.abort();
    }
  });

  it('pushes the streams each append of the event store wrote', async () => {
    const controller = new AbortController();
    const response = await fetch(`${shop.url}/dashboard/api/live`, {
      headers: auth,
      signal: controller.signal,
    });
    const events = readEvents(response.body!);
    try {
      await events.next('breakers'); // the feed is open: what follows is pushed
      const streamId = `ledger-live-${platform}`;
      await shop.app.get(EventStore).appendToStream(streamId, [{ type: 'ledger.opened', data: {} }], {
        tenantId: 'acme',
      });
      const pushed = await events.until('streams', (streams: any[]) =>
        streams.some((stream) => stream.streamId === streamId),
      );
      expect(pushed).toContainEqual({ tenantId: 'acme', streamId });
    } finally {
      controller.abort();
    }
  });

  it('refuses an action without its header, so that another site cannot post one', async () => {
    const response = await fetch(`${shop.url}/dashboard/api/actions/breaker?name=payments&to=open`, {
      method: 'POST',
      headers: auth,
    });
    expect(response.status).toBe(400);
  });

  it('cancels a running saga through its cancelOn event', async () => {
    const orderId = `cancel-${platform}`;
    const saga = await start(orderId, { wait: true });
    await waitFor('the saga to reach its charge', async () => {
      const view = await getJson(`/api/saga?runId=${saga.runId}`);
      return view.cancellable && view.steps.find((step: any) => step.id === 'charge').status === 'running';
    });
    const cancel = await fetch(`${shop.url}/dashboard/api/actions/cancel-saga?runId=${saga.runId}`, {
      method: 'POST',
      headers: { ...auth, 'x-sagaline-dashboard': 'action' },
    });
    expect(cancel.status).toBe(200);
    expect(JSON.parse(await cancel.text())).toMatchObject({ sent: 'checkout.cancelled' });
    await waitFor('the saga to be cancelled', async () => {
      const view = await getJson(`/api/saga?runId=${saga.runId}`);
      return view.state.status === 'cancelled' && view;
    });
  });

  it('browses the event store: streams, categories, a stream and subscriptions', async () => {
    const list = await getJson('/api/streams');
    expect(list.categories.order).toBeGreaterThan(0);
    const stream = list.items.find((item: any) => item.streamId.startsWith('order-'));
    const read = await getJson(`/api/stream?streamId=${stream.streamId}&tenantId=${stream.tenantId}`);
    expect(read.events[0]).toMatchObject({
      type: 'stock.reserved',
      version: 1,
      data: { email: '[redacted]' },
    });
    expect((await getJson('/api/subscriptions')).items).toEqual(expect.any(Array));
  });

  it('answers 404 with a message for an unknown saga', async () => {
    const { status, body } = await get('/api/saga?runId=nope');
    expect(status).toBe(404);
    expect(JSON.parse(body).message).toContain('nope');
  });
});
