import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CarrierSimulator,
  type PaymentGatewaySimulator,
  type SmtpSink,
  startCarrier,
  startPaymentGateway,
  startSmtpSink,
} from '../../src/simulators';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('the simulated payment gateway', () => {
  let gateway: PaymentGatewaySimulator;
  beforeAll(async () => {
    gateway = await startPaymentGateway();
  });
  afterAll(() => gateway.close());

  it('charges tok_visa', async () => {
    const { status, body } = await post(`${gateway.url}/v1/charges`, {
      amount: 1999,
      currency: 'USD',
      source: 'tok_visa',
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ amount: 1999, currency: 'usd', status: 'succeeded' });
    expect(gateway.charges.get(body.id)?.amount).toBe(1999);
  });

  it('declines tok_chargeDeclined with 402 card_declined', async () => {
    const { status, body } = await post(`${gateway.url}/v1/charges`, {
      amount: 500,
      currency: 'USD',
      source: 'tok_chargeDeclined',
    });
    expect(status).toBe(402);
    expect(body.error.code).toBe('card_declined');
  });

  it('replays the first answer to a request with the same Idempotency-Key', async () => {
    const request = { amount: 700, currency: 'EUR', source: 'tok_visa' };
    const first = await post(`${gateway.url}/v1/charges`, request, { 'idempotency-key': 'k-1' });
    const second = await post(`${gateway.url}/v1/charges`, request, { 'idempotency-key': 'k-1' });
    expect(second.body.id).toBe(first.body.id);
  });

  it('refunds a charge once, and refuses a second full refund', async () => {
    const charge = await post(`${gateway.url}/v1/charges`, {
      amount: 300,
      currency: 'USD',
      source: 'tok_visa',
    });
    const refund = await post(`${gateway.url}/v1/refunds`, { charge: charge.body.id });
    expect(refund.status).toBe(201);
    expect(refund.body.amount).toBe(300);
    const again = await post(`${gateway.url}/v1/refunds`, { charge: charge.body.id });
    expect(again.body.error.code).toBe('charge_already_refunded');
  });

  it('answers 503 to everything during an outage, switched over HTTP', async () => {
    const control = await fetch(`${gateway.url}/__control`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outage: true }),
    });
    expect(((await control.json()) as any).outage).toBe(true);
    const { status } = await post(`${gateway.url}/v1/charges`, {
      amount: 1,
      currency: 'USD',
      source: 'tok_visa',
    });
    expect(status).toBe(503);
    gateway.faults.update({ outage: false });
  });

  it('fails at the configured rate', async () => {
    gateway.faults.update({ failureRate: 1 });
    const { status } = await post(`${gateway.url}/v1/charges`, {
      amount: 1,
      currency: 'USD',
      source: 'tok_visa',
    });
    expect(status).toBe(500);
    gateway.faults.update({ failureRate: 0 });
  });
});

describe('the simulated carrier', () => {
  let carrier: CarrierSimulator;
  beforeAll(async () => {
    carrier = await startCarrier();
  });
  afterAll(() => carrier.close());

  const address = {
    name: 'Ada',
    line1: '1 Loop Rd',
    city: 'Springfield',
    postalCode: '12345',
    country: 'US',
  };

  it('creates a label, dispatches it, and then refuses to cancel it', async () => {
    const created = await post(`${carrier.url}/v1/shipments`, { reference: 'ord-1', address });
    expect(created.status).toBe(201);
    const dispatched = await post(`${carrier.url}/v1/shipments/${created.body.id}/dispatch`, {});
    expect(dispatched.body.status).toBe('dispatched');
    const cancel = await post(`${carrier.url}/v1/shipments/${created.body.id}/cancel`, {});
    expect(cancel.status).toBe(409);
  });

  it('refuses the undeliverable postal code 00000 with 422', async () => {
    const { status, body } = await post(`${carrier.url}/v1/shipments`, {
      reference: 'ord-2',
      address: { ...address, postalCode: '00000' },
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
    const inbox: any = await (await fetch(`${sink.inboxUrl}/messages?to=ada@example.test`)).json();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ from: 'shop@example.test', subject: 'Your order' });
  });
});
