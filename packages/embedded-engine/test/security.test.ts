import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  INNGEST_EMBEDDED_ENGINE,
  type InngestContext,
  InngestFunction,
  InngestModule,
  InngestService,
} from '@sagaline/nestjs-inngest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedEngine, EngineConfigurationError, type RunRecord } from '../src';
import { generateSigningKey, hashSigningKey, signRequestBody } from '../src/security/keys';
import { REDACTED, redactRun } from '../src/security/redaction';
import { rawRequest, startTrap, type Trap } from './support/attack-tools';
import { type EmbeddedApp, type Platform, startEmbeddedApp } from './support/embedded-app';

/** What the functions below did, so a test can prove that something never ran. */
class Ledger {
  /** Order ids the refund function's body was entered for (on every Call Request). */
  readonly entered: string[] = [];
  /** Order ids actually refunded (the step ran). */
  readonly refunds: string[] = [];
}

@Injectable()
class Payments {
  constructor(private readonly ledger: Ledger) {}

  /** The cancellation of the trial: a forged call refunded a shipped order. */
  @InngestFunction({ id: 'refund', triggers: { event: 'shop/order.cancelled' } })
  async refund({ event, step }: InngestContext) {
    const orderId = event.data.orderId as string;
    this.ledger.entered.push(orderId);
    await step.run('refund-charge', () => {
      this.ledger.refunds.push(orderId);
      return { refunded: orderId };
    });
    return { orderId };
  }

  /** A run that stays open, waiting for an event: a target for forged checkpoints. */
  @InngestFunction({ id: 'hold', triggers: { event: 'shop/order.held' } })
  async hold({ step }: InngestContext) {
    await step.run('reserve', () => 'reserved');
    const release = await step.waitForEvent('release', {
      event: 'shop/order.released',
      match: 'data.orderId',
      timeout: '1h',
    });
    return release ? 'released' : 'expired';
  }

  /** Carries the secrets the inspection API must never show. */
  @InngestFunction({ id: 'checkout', triggers: { event: 'shop/checkout' } })
  async checkout({ event, step }: InngestContext) {
    const customer = event.data.customer as { email: string };
    const charge = await step.run('charge', () => ({
      chargeId: `ch-${event.data.orderId}`,
      paymentToken: 'pt_secret_from_step',
    }));
    return { orderId: event.data.orderId, chargeId: charge.chargeId, receipt: { Email: customer.email } };
  }
}

let counter = 0;
const orderId = (label: string) => `${label}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

/** A Call Request body as the engine sends it for a fresh run (classic protocol). */
function callRequest(id: string) {
  const event = { name: 'shop/order.cancelled', data: { orderId: id }, id: `evt-${id}`, ts: Date.now() };
  return {
    event,
    events: [event],
    steps: {},
    ctx: {
      run_id: `run-${id}`,
      attempt: 0,
      max_attempts: 5,
      use_api: false,
      stack: { stack: [], current: 0 },
    },
    version: 2,
  };
}

async function postCall(serveUrl: string, fnId: string, body: unknown, signature?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== undefined) headers['x-inngest-signature'] = signature;
  const response = await fetch(`${serveUrl}?fnId=${fnId}&stepId=step`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function serveUrlOf(subject: EmbeddedApp): Promise<string> {
  return `${(await subject.app.getUrl()).replace('[::1]', '127.0.0.1')}/api/inngest`;
}

const runtimeUrls = (engine: EmbeddedEngine) =>
  engine.registeredFunctions.map((fn) => fn.steps.step.runtime.url);

describe.each<Platform>(['express', 'fastify'])('forged requests to the app on %s', (platform) => {
  let subject: EmbeddedApp;
  let ledger: Ledger;
  let serveUrl: string;
  let trap: Trap;

  beforeAll(async () => {
    ledger = new Ledger();
    trap = await startTrap();
    subject = await startEmbeddedApp(platform, [{ provide: Ledger, useValue: ledger }, Payments], {}, 'shop');
    serveUrl = await serveUrlOf(subject);
  });

  afterAll(async () => {
    await subject?.close();
    await trap?.close();
  });

  it('runs the functions it is sent events for, the engine signing every Call Request', async () => {
    const id = orderId('genuine');
    const { ids } = await subject.inngest.send({ name: 'shop/order.cancelled', data: { orderId: id } });
    const run = await subject.engine.waitForRun({ eventId: ids[0] });
    expect(run.status).toBe('completed');
    expect(ledger.refunds).toContain(id);
  });

  it('runs a Call Request signed with the engine’s key (the control for the refusals below)', async () => {
    const id = orderId('signed');
    const body = callRequest(id);
    const result = await postCall(
      serveUrl,
      'shop-refund',
      body,
      signRequestBody(body, subject.engine.signingKey),
    );
    expect(result.status).toBe(206);
    expect(ledger.refunds).toContain(id);
  });

  it.each<[string, (body: unknown, engineKey: string) => string | undefined]>([
    ['no signature', () => undefined],
    ['an empty signature', () => ''],
    ['a made-up signature', () => `t=${Math.round(Date.now() / 1000)}&s=${'0'.repeat(64)}`],
    ['a signature made with another key', (body) => signRequestBody(body, generateSigningKey())],
    [
      'an expired signature (the engine’s key, 10 minutes old)',
      (body, key) => signRequestBody(body, key, Date.now() - 10 * 60_000),
    ],
  ])('answers 401 to a Call Request with %s, and nothing runs', async (_case, signatureFor) => {
    const id = orderId('forged');
    const body = callRequest(id);
    const runsBefore = (await subject.engine.listRuns()).length;
    const result = await postCall(
      serveUrl,
      'shop-refund',
      body,
      signatureFor(body, subject.engine.signingKey),
    );
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ message: 'Unauthorized' });
    expect(ledger.entered).not.toContain(id);
    expect(ledger.refunds).not.toContain(id);
    expect(await subject.engine.listRuns()).toHaveLength(runsBefore);
  });

  it('answers 401 to a signed Call Request whose body was changed, and nothing runs', async () => {
    const signed = callRequest(orderId('original'));
    const id = orderId('tampered');
    const result = await postCall(
      serveUrl,
      'shop-refund',
      callRequest(id),
      signRequestBody(signed, subject.engine.signingKey),
    );
    expect(result.status).toBe(401);
    expect(ledger.entered).not.toContain(id);
  });

  it('keeps its registration and sends nothing elsewhere after a sync PUT with a forged Host', async () => {
    const before = runtimeUrls(subject.engine);
    const forged = await rawRequest(serveUrl, {
      method: 'PUT',
      headers: { host: `127.0.0.1:${trap.port}`, 'content-length': '0' },
    });
    expect(forged.status).toBeLessThan(500); // answered (not crashed), whatever it says
    expect(runtimeUrls(subject.engine)).toEqual(before);
    expect(before.every((url) => url.startsWith(`${serveUrl}?`))).toBe(true);

    const id = orderId('after-forged-sync');
    const { ids } = await subject.inngest.send({ name: 'shop/order.cancelled', data: { orderId: id } });
    expect((await subject.engine.waitForRun({ eventId: ids[0] })).status).toBe('completed');
    expect(ledger.refunds).toContain(id);
    expect(trap.requests).toEqual([]);
  });

  it('registers its own serve URL when a sync PUT names another host (the SDK handler is pinned)', async () => {
    const register = vi.spyOn(subject.engine, 'register');
    try {
      await rawRequest(serveUrl, {
        method: 'PUT',
        headers: { host: `127.0.0.1:${trap.port}`, 'content-length': '0' },
      });
      expect(register).toHaveBeenCalledTimes(1);
      const [registration] = register.mock.calls[0]!;
      expect(registration.url).toBe(serveUrl);
      const urls = registration.functions.map((fn) => fn.steps.step.runtime.url);
      expect(urls.every((url) => url.startsWith(`${serveUrl}?`))).toBe(true);
    } finally {
      register.mockRestore();
    }
  });

  it('answers 401 to an unsigned in-band sync naming another URL, and keeps its registration', async () => {
    const before = runtimeUrls(subject.engine);
    const forged = await fetch(serveUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-inngest-sync-kind': 'in_band' },
      body: JSON.stringify({ url: `${trap.url}/api/inngest` }),
    });
    expect(forged.status).toBe(401);
    expect(runtimeUrls(subject.engine)).toEqual(before);
    expect(trap.requests).toEqual([]);
  });
});

describe('forged requests to the engine', () => {
  let subject: EmbeddedApp;
  let ledger: Ledger;
  let trap: Trap;

  beforeAll(async () => {
    ledger = new Ledger();
    trap = await startTrap();
    subject = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: ledger }, Payments],
      {},
      'shop',
    );
  });

  afterAll(async () => {
    await subject?.close();
    await trap?.close();
  });

  const postEvent = (key: string, events: unknown) =>
    fetch(`${subject.engine.baseUrl}/e/${encodeURIComponent(key)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });

  it.each<[string, (engine: EmbeddedEngine) => string]>([
    ['another key', () => 'embedded'],
    ['the engine’s key with its last character changed', (engine) => `${engine.eventKey.slice(0, -1)}#`],
    ['the signing key', (engine) => engine.signingKey],
  ])('answers 401 to an event sent with %s, and stores and runs nothing', async (_case, keyFor) => {
    const id = orderId('forged-event');
    const eventId = `evt-${id}`;
    const response = await postEvent(keyFor(subject.engine), [
      { name: 'shop/order.cancelled', id: eventId, data: { orderId: id } },
    ]);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ status: 401, error: expect.stringContaining('Event key') });
    expect(await subject.engine.listRuns({ eventId })).toEqual([]);
    expect(ledger.entered).not.toContain(id);

    // Nothing was stored: the same id sent with the right key is new, and runs.
    const genuine = await postEvent(subject.engine.eventKey, [
      { name: 'shop/order.cancelled', id: eventId, data: { orderId: id } },
    ]);
    expect(await genuine.json()).toEqual({ ids: [expect.stringMatching(/^[0-9A-Z]{26}$/)], status: 200 });
    expect((await subject.engine.waitForRun({ eventId })).status).toBe('completed');
  });

  const register = (authorization: string | undefined) =>
    fetch(`${subject.engine.baseUrl}/fn/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({
        url: `${trap.url}/api/inngest`,
        appName: 'shop',
        functions: subject.engine.registeredFunctions.map((fn) => ({
          ...fn,
          steps: { step: { ...fn.steps.step, runtime: { url: `${trap.url}/api/inngest?fnId=${fn.id}` } } },
        })),
      }),
    });

  it.each<[string, (engine: EmbeddedEngine) => string | undefined]>([
    ['no bearer token', () => undefined],
    ['the signing key itself instead of its hash', (engine) => `Bearer ${engine.signingKey}`],
    ['the hash of another key', () => `Bearer ${hashSigningKey(generateSigningKey())}`],
  ])('answers 401 to a registration with %s, and keeps calling the real app', async (_case, authFor) => {
    const before = runtimeUrls(subject.engine);
    const response = await register(authFor(subject.engine));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status: 401 });
    expect(runtimeUrls(subject.engine)).toEqual(before);

    const id = orderId('after-forged-register');
    const { ids } = await subject.inngest.send({ name: 'shop/order.cancelled', data: { orderId: id } });
    expect((await subject.engine.waitForRun({ eventId: ids[0] })).status).toBe('completed');
    expect(ledger.refunds).toContain(id);
    expect(trap.requests).toEqual([]);
  });

  it('refuses a registration for another URL even with the right bearer token', async () => {
    const before = runtimeUrls(subject.engine);
    const response = await register(`Bearer ${hashSigningKey(subject.engine.signingKey)}`);
    expect(await response.json()).toMatchObject({ status: 400 });
    expect(runtimeUrls(subject.engine)).toEqual(before);

    const id = orderId('after-other-url');
    const { ids } = await subject.inngest.send({ name: 'shop/order.cancelled', data: { orderId: id } });
    expect((await subject.engine.waitForRun({ eventId: ids[0] })).status).toBe('completed');
    expect(trap.requests).toEqual([]);
  });

  it('answers 401 to a checkpoint without the bearer token, and the run does not move', async () => {
    const id = orderId('held');
    const { ids } = await subject.inngest.send({ name: 'shop/order.held', data: { orderId: id } });
    const waiting = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await expect
      .poll(async () => (await subject.engine.getRun(waiting.id))?.pending.some((w) => w.kind === 'wait'))
      .toBe(true);
    const before = await subject.engine.getRun(waiting.id);

    // A forged "the wait is over" for the run's waitForEvent step.
    const releaseId = createHash('sha1').update('release').digest('hex');
    const response = await fetch(`${subject.engine.baseUrl}/v1/checkpoint/${waiting.id}/async`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        run_id: waiting.id,
        steps: [{ id: releaseId, op: 'StepRun', name: 'release', data: { name: 'shop/order.released' } }],
      }),
    });
    expect(response.status).toBe(401);
    const after = await subject.engine.getRun(waiting.id);
    expect(after?.status).toBe('running');
    expect(after?.steps).toEqual(before?.steps);
    expect(after?.steps[releaseId]).toBeUndefined();
  });

  it('does not serve the inspection API unless it is enabled, whatever the request carries', async () => {
    const { ids } = await subject.inngest.send({
      name: 'shop/checkout',
      data: {
        orderId: orderId('hidden'),
        cardToken: 'tok_secret_card',
        customer: { email: 'ada@example.com' },
      },
    });
    const run = await subject.engine.waitForRun({ eventId: ids[0] });
    for (const path of ['/_engine/runs', `/_engine/runs/${run.id}`]) {
      for (const headers of [{}, { authorization: 'Bearer anything' }] as Array<Record<string, string>>) {
        const response = await fetch(`${subject.engine.baseUrl}${path}`, { headers });
        expect(response.status).toBe(404);
        expect(await response.text()).not.toContain('tok_secret_card');
      }
    }
  });
});

describe('the inspection API, when enabled', () => {
  const token = 'inspection-token-for-tests';
  let subject: EmbeddedApp;
  let run: RunRecord;

  beforeAll(async () => {
    subject = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: new Ledger() }, Payments],
      { inspection: { token } },
      'shop',
    );
    const { ids } = await subject.inngest.send({
      name: 'shop/checkout',
      data: {
        orderId: 'o-visible',
        cardToken: 'tok_secret_card',
        customer: { name: 'Ada', email: 'ada@example.com' },
      },
    });
    run = await subject.engine.waitForRun({ eventId: ids[0] });
  });

  afterAll(() => subject?.close());

  it.each<[string, (engine: EmbeddedEngine) => Record<string, string>]>([
    ['no token', () => ({})],
    ['a wrong token', () => ({ authorization: 'Bearer not-the-token' })],
    ['the token in another scheme', () => ({ authorization: `Basic ${token}` })],
    [
      'the engine’s signing key hash',
      (engine) => ({ authorization: `Bearer ${hashSigningKey(engine.signingKey)}` }),
    ],
  ])('answers 401 to a request with %s, showing nothing', async (_case, headersFor) => {
    for (const path of ['/_engine/runs', `/_engine/runs/${run.id}`]) {
      const response = await fetch(`${subject.engine.baseUrl}${path}`, {
        headers: headersFor(subject.engine),
      });
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('o-visible');
    }
  });

  it('shows a run to the token holder with the default fields redacted everywhere', async () => {
    const response = await fetch(`${subject.engine.baseUrl}/_engine/runs/${run.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of ['tok_secret_card', 'ada@example.com', 'pt_secret_from_step']) {
      expect(text).not.toContain(secret);
    }
    const shown = JSON.parse(text) as RunRecord;
    expect(shown.event.data).toEqual({
      orderId: 'o-visible',
      cardToken: REDACTED,
      customer: { name: 'Ada', email: REDACTED },
    });
    expect(shown.output).toEqual({
      orderId: 'o-visible',
      chargeId: 'ch-o-visible',
      receipt: { Email: REDACTED },
    });
    expect(shown.timeline[0]?.output).toEqual({ chargeId: 'ch-o-visible', paymentToken: REDACTED });
  });

  it('lists runs to the token holder, redacted', async () => {
    const response = await fetch(`${subject.engine.baseUrl}/_engine/runs?functionId=checkout`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('tok_secret_card');
    expect((JSON.parse(text) as { runs: RunRecord[] }).runs.map((r) => r.id)).toContain(run.id);
  });

  it('applies a redact function given as an option', async () => {
    const custom = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: new Ledger() }, Payments],
      {
        inspection: { token },
        redact: (shown: RunRecord) => ({ ...shown, event: { ...shown.event, data: { hidden: true } } }),
      },
      'shop',
    );
    try {
      const { ids } = await custom.inngest.send({
        name: 'shop/checkout',
        data: { orderId: 'o-custom', customer: { email: 'x@example.com' } },
      });
      const done = await custom.engine.waitForRun({ eventId: ids[0] });
      const response = await fetch(`${custom.engine.baseUrl}/_engine/runs/${done.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await response.json()) as RunRecord).event.data).toEqual({ hidden: true });
    } finally {
      await custom.close();
    }
  });

  it('refuses to start with an empty token', async () => {
    await expect(EmbeddedEngine.start({ inspection: { token: '' } })).rejects.toThrow(
      EngineConfigurationError,
    );
  });
});

describe('the binding in embedded mode', () => {
  const start = async (options: Record<string, unknown>) => {
    const { Test } = await import('@nestjs/testing');
    return Test.createTestingModule({
      imports: [InngestModule.forRoot({ appId: 'keys', mode: 'embedded', ...options })],
    }).compile();
  };

  it('runs the SDK in cloud mode with the engine’s own keys and base URL', async () => {
    const moduleRef = await start({});
    try {
      const engine = moduleRef.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE);
      const { client } = moduleRef.get(InngestService);
      expect(client.mode).toBe('cloud');
      expect(client.signingKey).toBe(engine.signingKey);
      expect(client.eventKey).toBe(engine.eventKey);
      expect(client.apiBaseUrl).toBe(engine.baseUrl);
      expect(engine.signingKey).toMatch(/^signkey-\w+-[0-9a-f]{64}$/);
    } finally {
      await moduleRef.close();
    }
  });

  it('hands the module’s signingKey and eventKey to the engine', async () => {
    const signingKey = generateSigningKey();
    const moduleRef = await start({ signingKey, eventKey: 'configured-event-key' });
    try {
      const engine = moduleRef.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE);
      expect(engine.signingKey).toBe(signingKey);
      expect(engine.eventKey).toBe('configured-event-key');
      expect(moduleRef.get(InngestService).client.signingKey).toBe(signingKey);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('redactRun', () => {
  const sample = (): RunRecord => ({
    id: 'r-1',
    functionId: 'shop-checkout',
    event: {
      id: 'e-1',
      name: 'shop/checkout',
      ts: 1,
      data: { orderId: 'o-1', CardToken: 'tok', list: [{ email: 'a@x' }] },
    },
    events: [
      {
        id: 'e-1',
        name: 'shop/checkout',
        ts: 1,
        data: { orderId: 'o-1', CardToken: 'tok', list: [{ email: 'a@x' }] },
      },
    ],
    status: 'failed',
    output: { deep: { Password: 'p' } },
    error: { name: 'Error', message: 'declined', secret: 's' },
    createdAt: 1,
    steps: { abc: { data: { token: 't', kept: 1 } } },
    stack: ['abc'],
    timeline: [
      { id: 'abc', name: 'charge', kind: 'run', attempts: 1, startedAt: 1, output: { paymentToken: 'pt' } },
      {
        id: 'def',
        name: 'mail',
        kind: 'run',
        attempts: 1,
        startedAt: 1,
        error: { name: 'E', message: 'm', email: 'a@x' },
      },
    ],
    pending: [],
    forcePlan: false,
  });

  it('replaces the listed fields, in any case and at any depth, in every part of the run', () => {
    const shown = redactRun(sample(), ['cardToken', 'email', 'password', 'secret', 'token', 'paymentToken']);
    expect(shown.event.data).toEqual({ orderId: 'o-1', CardToken: REDACTED, list: [{ email: REDACTED }] });
    expect(shown.events[0]?.data).toEqual(shown.event.data);
    expect(shown.output).toEqual({ deep: { Password: REDACTED } });
    expect(shown.error).toEqual({ name: 'Error', message: 'declined', secret: REDACTED });
    expect(shown.steps).toEqual({ abc: { data: { token: REDACTED, kept: 1 } } });
    expect(shown.timeline[0]?.output).toEqual({ paymentToken: REDACTED });
    expect(shown.timeline[1]?.error).toEqual({ name: 'E', message: 'm', email: REDACTED });
    expect(shown.timeline[1]).not.toHaveProperty('output');
  });

  it('uses the default fields when given none', () => {
    const shown = redactRun(sample());
    expect(shown.event.data.CardToken).toBe(REDACTED);
    expect(shown.steps).toEqual({ abc: { data: { token: REDACTED, kept: 1 } } });
  });

  it('never changes the run it is given', () => {
    const run = sample();
    redactRun(run, ['orderId', 'email', 'token']);
    redactRun(run, (copy) => {
      copy.event.data.orderId = 'changed';
      return copy;
    });
    expect(run).toEqual(sample());
  });
});
