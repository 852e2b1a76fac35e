import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertSink,
  type CarrierSimulator,
  callSimulator as call,
  LedgerLockedError,
  type PaymentGatewaySimulator,
  type SmtpSink,
  startAlertSink,
  startCarrier,
  startPaymentGateway,
  startSimulators,
  startSmtpSink,
} from '../../src/simulators';

const ADDRESS = { name: 'Ada', line1: '1 Loop Rd', city: 'Springfield', postalCode: '12345', country: 'US' };

describe('the simulated payment gateway', () => {
  let gateway: PaymentGatewaySimulator;
  beforeAll(async () => {
    gateway = await startPaymentGateway();
  });
  afterAll(() => gateway.close());

  it('charges tok_visa', async () => {
    const { status, body } = await call(`${gateway.url}/v1/charges`, {
      amount: 1999,
      currency: 'USD',
      source: 'tok_visa',
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ amount: 1999, currency: 'usd', status: 'succeeded' });
    expect(gateway.charges.get(body.id)?.amount).toBe(1999);
  });

  it('declines tok_chargeDeclined with 402 card_declined', async () => {
    const { status, body } = await call(`${gateway.url}/v1/charges`, {
      amount: 500,
      currency: 'USD',
      source: 'tok_chargeDeclined',
    });
    expect(status).toBe(402);
    expect(body.error.code).toBe('card_declined');
  });

  it('replays the first answer to a request with the same Idempotency-Key, and charges once', async () => {
    const request = { amount: 700, currency: 'EUR', source: 'tok_visa' };
    const first = await call(`${gateway.url}/v1/charges`, request, { key: 'k-1' });
    const second = await call(
      `${gateway.url}/v1/charges`,
      { source: 'tok_visa', currency: 'EUR', amount: 700 },
      {
        key: 'k-1',
      },
    );
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect([...gateway.charges.values()].filter((charge) => charge.amount === 700)).toHaveLength(1);
  });

  it('replays a decline too: the same key never turns into a charge', async () => {
    const request = { amount: 800, currency: 'USD', source: 'tok_chargeDeclined' };
    await call(`${gateway.url}/v1/charges`, request, { key: 'k-declined' });
    const again = await call(`${gateway.url}/v1/charges`, request, { key: 'k-declined' });
    expect(again.status).toBe(402);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses the same key with another body with 422 idempotency_key_reused, charging nothing', async () => {
    await call(
      `${gateway.url}/v1/charges`,
      { amount: 900, currency: 'USD', source: 'tok_visa' },
      { key: 'k-2' },
    );
    const other = await call(
      `${gateway.url}/v1/charges`,
      { amount: 901, currency: 'USD', source: 'tok_visa' },
      { key: 'k-2' },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect([...gateway.charges.values()].some((charge) => charge.amount === 901)).toBe(false);
  });

  it('does not keep an answer to invalid parameters: the corrected request with the same key runs', async () => {
    const invalid = await call(
      `${gateway.url}/v1/charges`,
      { amount: -1, currency: 'USD', source: 'tok_visa' },
      {
        key: 'k-3',
      },
    );
    expect(invalid.status).toBe(400);
    const corrected = await call(
      `${gateway.url}/v1/charges`,
      { amount: 1, currency: 'USD', source: 'tok_visa' },
      {
        key: 'k-3',
      },
    );
    expect(corrected.status).toBe(201);
  });

  it('refuses an empty Idempotency-Key with 400, naming the header', async () => {
    const { status, body } = await call(
      `${gateway.url}/v1/charges`,
      { amount: 1, currency: 'USD', source: 'tok_visa' },
      { key: '' },
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'idempotency_key_invalid' });
    expect(body.error.message).toContain('Idempotency-Key');
  });

  it('answers a body that is not JSON with 400 parameter_invalid in its usual shape', async () => {
    const response = await fetch(`${gateway.url}/v1/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe('parameter_invalid');
  });

  it('refunds a charge once, and refuses a second full refund', async () => {
    const charge = await call(`${gateway.url}/v1/charges`, {
      amount: 300,
      currency: 'USD',
      source: 'tok_visa',
    });
    const refund = await call(`${gateway.url}/v1/refunds`, { charge: charge.body.id });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ amount: 300, charge: charge.body.id, status: 'succeeded' });
    expect(gateway.charges.get(charge.body.id)?.amountRefunded).toBe(300);
    expect((await call(`${gateway.url}/v1/refunds/${refund.body.id}`)).body).toEqual(refund.body);
    const again = await call(`${gateway.url}/v1/refunds`, { charge: charge.body.id });
    expect(again.body.error.code).toBe('charge_already_refunded');
  });

  it('answers 503 to everything during an outage, switched over HTTP', async () => {
    const control = await call(`${gateway.url}/__control`, { outage: true }, { method: 'PUT' });
    expect(control.body.outage).toBe(true);
    const { status } = await call(`${gateway.url}/v1/charges`, {
      amount: 1,
      currency: 'USD',
      source: 'tok_visa',
    });
    expect(status).toBe(503);
    gateway.faults.update({ outage: false });
  });
});

describe('the simulated carrier', () => {
  let carrier: CarrierSimulator;
  beforeAll(async () => {
    carrier = await startCarrier();
  });
  afterAll(() => carrier.close());

  it('creates a label, dispatches it, and then refuses to cancel it', async () => {
    const created = await call(`${carrier.url}/v1/shipments`, { reference: 'ord-1', address: ADDRESS });
    expect(created.status).toBe(201);
    const dispatched = await call(`${carrier.url}/v1/shipments/${created.body.id}/dispatch`, {});
    expect(dispatched.body.status).toBe('dispatched');
    const cancel = await call(`${carrier.url}/v1/shipments/${created.body.id}/cancel`, {});
    expect(cancel.status).toBe(409);
  });

  it('answers a second dispatch with the first one: same parcel, same time', async () => {
    const created = await call(`${carrier.url}/v1/shipments`, { reference: 'ord-3', address: ADDRESS });
    const first = await call(`${carrier.url}/v1/shipments/${created.body.id}/dispatch`, {});
    const second = await call(`${carrier.url}/v1/shipments/${created.body.id}/dispatch`, {});
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('replays a label created with the same Idempotency-Key instead of making a second one', async () => {
    const request = { reference: 'ord-4', address: ADDRESS };
    const first = await call(`${carrier.url}/v1/shipments`, request, { key: 'shipment-ord-4' });
    const second = await call(`${carrier.url}/v1/shipments`, request, { key: 'shipment-ord-4' });
    expect(second.body).toEqual(first.body);
    expect([...carrier.shipments.values()].filter((shipment) => shipment.reference === 'ord-4')).toHaveLength(
      1,
    );
  });

  it('refuses the undeliverable postal code 00000 with 422', async () => {
    const { status, body } = await call(`${carrier.url}/v1/shipments`, {
      reference: 'ord-2',
      address: { ...ADDRESS, postalCode: '00000' },
    });
    expect(status).toBe(422);
    expect(body.error.code).toBe('address_undeliverable');
  });
});

describe('the SMTP sink', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink.close());

  it('receives mail sent by nodemailer and lists it in its HTTP inbox', async () => {
    const transport = nodemailer.createTransport(sink.smtpUrl);
    await transport.sendMail({
      from: 'shop@example.test',
      to: 'ada@example.test',
      subject: 'Your order',
      text: 'Hi',
    });
    transport.close();
    const inbox = await call(`${sink.inboxUrl}/messages?to=ada@example.test`);
    expect(inbox.body).toHaveLength(1);
    expect(inbox.body[0]).toMatchObject({ from: 'shop@example.test', subject: 'Your order' });
  });
});

describe('the alert sink', () => {
  let sink: AlertSink;
  beforeAll(async () => {
    sink = await startAlertSink();
  });
  afterAll(() => sink.close());

  it('stores a posted alert and lists it, oldest first', async () => {
    const posted = await call(sink.webhookUrl, {
      severity: 'critical',
      summary: 'payment-gateway breaker open',
    });
    expect(posted.status).toBe(201);
    await call(sink.webhookUrl, { severity: 'info', summary: 'payment-gateway breaker closed' });
    const listed = await call(sink.webhookUrl);
    expect(listed.body.map((alert: any) => alert.body.summary)).toEqual([
      'payment-gateway breaker open',
      'payment-gateway breaker closed',
    ]);
    expect(listed.body[0]).toMatchObject({ id: posted.body.id, receivedAt: posted.body.receivedAt });
  });

  it('refuses a body that is not JSON with 400, naming the content type to use', async () => {
    const response = await fetch(sink.webhookUrl, { method: 'POST', body: 'the breaker opened' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain('application/json');
  });
});

describe('the simulators together', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaline-simulators-unit-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuse a second start on a data directory in use, naming the process that holds it', async () => {
    const simulators = await startSimulators({ dataDir });
    try {
      await expect(startSimulators({ dataDir })).rejects.toBeInstanceOf(LedgerLockedError);
      await expect(startSimulators({ dataDir })).rejects.toThrow(`in use by process ${process.pid}`);
    } finally {
      await simulators.close();
    }
  });

  it('keep what they answered across a clean restart on the same data directory', async () => {
    const first = await startSimulators({ dataDir });
    const charge = await call(`${first.urls.paymentGateway}/v1/charges`, {
      amount: 4242,
      currency: 'USD',
      source: 'tok_visa',
    });
    await first.close();
    const second = await startSimulators({ dataDir });
    try {
      expect(second.paymentGateway.charges.get(charge.body.id)).toEqual(charge.body);
    } finally {
      await second.close();
    }
  });
});
