import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callSimulator as call,
  controlSimulator,
  type SimulatorAnswer,
  type SimulatorsProcess,
  SimulatorsStartError,
  startSimulatorsProcess,
} from '../../src/simulators';

const ADDRESS = { name: 'Ada', line1: '1 Loop Rd', city: 'Springfield', postalCode: '12345', country: 'US' };
const charge = (amount: number) => ({ amount, currency: 'USD', source: 'tok_visa' });

// The real simulators process, as `pnpm simulators` runs it, killed with SIGKILL (nothing cleaned up,
// nothing flushed by the process) and started again on the same data directory.
describe('the simulators process, after a kill -9 and a restart on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaline-simulators-process-'));
  let before: SimulatorsProcess;
  let after: SimulatorsProcess;
  const seen: Record<string, SimulatorAnswer> = {};

  beforeAll(async () => {
    before = await startSimulatorsProcess({ dataDir, port: 0 });
    const { paymentGateway, carrier, smtp, alertWebhook } = before.urls;
    seen.charge = await call(`${paymentGateway}/v1/charges`, charge(1000), { key: 'pay_1' });
    seen.decline = await call(
      `${paymentGateway}/v1/charges`,
      { ...charge(1001), source: 'tok_chargeDeclined' },
      { key: 'pay_2' },
    );
    seen.toRefund = await call(`${paymentGateway}/v1/charges`, charge(1002), { key: 'pay_3' });
    seen.label = await call(
      `${carrier}/v1/shipments`,
      { reference: 'ord_1', address: ADDRESS },
      { key: 'shipment-ord_1' },
    );
    seen.dispatch = await call(`${carrier}/v1/shipments/${seen.label.body.id}/dispatch`, {});
    seen.undispatched = await call(`${carrier}/v1/shipments`, { reference: 'ord_2', address: ADDRESS });
    const transport = nodemailer.createTransport(smtp);
    await transport.sendMail({
      from: 'shop@example.test',
      to: 'kill@example.test',
      subject: 'Shipped',
      text: 'Hi',
    });
    transport.close();
    seen.alert = await call(alertWebhook, { severity: 'critical', summary: 'breaker open' });
    // the crash trial: the gateway charged, the reply was lost, and then everything died
    await controlSimulator(paymentGateway, { nextFaults: ['lost-reply'] });
    await expect(call(`${paymentGateway}/v1/charges`, charge(1003), { key: 'pay_4' })).rejects.toThrow();

    expect(await before.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    after = await startSimulatorsProcess({ dataDir, port: 0 });
  });
  afterAll(async () => {
    await Promise.all([before?.kill(), after?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a replayed charge with the first charge, not a new one', async () => {
    const replay = await call(`${after.urls.paymentGateway}/v1/charges`, charge(1000), { key: 'pay_1' });
    expect(replay).toMatchObject({ status: 201, body: seen.charge.body });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const stored = await call(`${after.urls.paymentGateway}/v1/charges/${seen.charge.body.id}`);
    expect(stored.body).toEqual(seen.charge.body);
  });

  it('answers a replayed decline with the decline', async () => {
    const replay = await call(
      `${after.urls.paymentGateway}/v1/charges`,
      { ...charge(1001), source: 'tok_chargeDeclined' },
      { key: 'pay_2' },
    );
    expect(replay).toMatchObject({ status: 402, body: seen.decline.body });
  });

  it('refuses a key used before the kill with another body: 422', async () => {
    const other = await call(`${after.urls.paymentGateway}/v1/charges`, charge(9999), { key: 'pay_1' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('refunds a charge made before the kill', async () => {
    const refund = await call(`${after.urls.paymentGateway}/v1/refunds`, { charge: seen.toRefund.body.id });
    expect(refund).toMatchObject({ status: 201, body: { charge: seen.toRefund.body.id, amount: 1002 } });
  });

  it('answers the retry of a charge whose reply was lost before the kill with that charge', async () => {
    const retry = await call(`${after.urls.paymentGateway}/v1/charges`, charge(1003), { key: 'pay_4' });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ amount: 1003, status: 'succeeded' });
  });

  it('answers a replayed label creation with the label made before the kill', async () => {
    const replay = await call(
      `${after.urls.carrier}/v1/shipments`,
      { reference: 'ord_1', address: ADDRESS },
      { key: 'shipment-ord_1' },
    );
    expect(replay).toMatchObject({ status: 201, body: seen.label.body });
  });

  it('answers the dispatch of a parcel dispatched before the kill with its dispatch', async () => {
    const replay = await call(`${after.urls.carrier}/v1/shipments/${seen.label.body.id}/dispatch`, {});
    expect(replay).toMatchObject({ status: 200, body: seen.dispatch.body });
  });

  it('dispatches a label created before the kill', async () => {
    const dispatched = await call(
      `${after.urls.carrier}/v1/shipments/${seen.undispatched.body.id}/dispatch`,
      {},
    );
    expect(dispatched).toMatchObject({
      status: 200,
      body: { id: seen.undispatched.body.id, status: 'dispatched' },
    });
  });

  it('keeps the mail and the alerts received before the kill', async () => {
    const inbox = await call(`${after.urls.smtpInbox}/messages?to=kill@example.test`);
    expect(inbox.body).toMatchObject([{ from: 'shop@example.test', subject: 'Shipped' }]);
    const alerts = await call(after.urls.alertWebhook);
    expect(alerts.body).toMatchObject([{ id: seen.alert.body.id, body: { summary: 'breaker open' } }]);
  });

  it('refuses a second process on the data directory while this one runs, naming it', async () => {
    const second = startSimulatorsProcess({ dataDir, port: 0 });
    await expect(second).rejects.toBeInstanceOf(SimulatorsStartError);
    await expect(second).rejects.toThrow(`in use by process ${after.pid}`);
  });

  it('keeps what it answered after the restart across a second kill', async () => {
    const refund = await call(
      `${after.urls.paymentGateway}/v1/refunds`,
      { charge: seen.charge.body.id },
      {
        key: 'refund-pay_1',
      },
    );
    expect(refund.status).toBe(201);
    await after.kill();
    after = await startSimulatorsProcess({ dataDir, port: 0 });
    const replay = await call(
      `${after.urls.paymentGateway}/v1/refunds`,
      { charge: seen.charge.body.id },
      {
        key: 'refund-pay_1',
      },
    );
    expect(replay).toMatchObject({ status: 201, body: refund.body });
    const charged = await call(`${after.urls.paymentGateway}/v1/charges/${seen.charge.body.id}`);
    expect(charged.body.amountRefunded).toBe(1000);
  });
});
