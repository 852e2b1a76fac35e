import { type AlertSink, startAlertSink } from './alert-sink';
import { type CarrierSimulator, startCarrier } from './carrier';
import { type PaymentGatewaySimulator, startPaymentGateway } from './payment-gateway';
import { type SmtpSink, startSmtpSink } from './smtp-sink';

/** Where the simulators listen: what the shop needs to reach them. */
export interface SimulatorUrls {
  /** The payment gateway's base URL (`PAYMENT_GATEWAY_URL`). */
  paymentGateway: string;
  /** The carrier's base URL (`CARRIER_URL`). */
  carrier: string;
  /** The SMTP sink, `smtp://...` (`SMTP_URL`). */
  smtp: string;
  /** The SMTP sink's HTTP inbox: `GET <smtpInbox>/messages?to=`. */
  smtpInbox: string;
  /** The alert sink's webhook: `POST` an alert, `GET` the list (`ALERT_WEBHOOK_URL`). */
  alertWebhook: string;
}

/** Offsets from the first port (`SIMULATORS_PORT`) of each simulator's port. */
export const SIMULATOR_PORT_OFFSETS = {
  paymentGateway: 0,
  carrier: 1,
  smtp: 2,
  smtpInbox: 3,
  alertSink: 4,
} as const;

/** The simulators running in this process, their URLs, and one call to stop them all. */
export interface RunningSimulators {
  readonly paymentGateway: PaymentGatewaySimulator;
  readonly carrier: CarrierSimulator;
  readonly smtpSink: SmtpSink;
  readonly alertSink: AlertSink;
  readonly urls: SimulatorUrls;
  /** Where their ledgers are; undefined when they live in memory. */
  readonly dataDir?: string;
  close(): Promise<void>;
}

/** The environment variables that point the shop at these simulators. */
export function shopEnvironmentFor(urls: SimulatorUrls): Record<string, string> {
  return {
    PAYMENT_GATEWAY_URL: urls.paymentGateway,
    CARRIER_URL: urls.carrier,
    SMTP_URL: urls.smtp,
    ALERT_WEBHOOK_URL: urls.alertWebhook,
  };
}

/**
 * Starts the payment gateway, the carrier, the SMTP sink and the alert sink in this process. With
 * `dataDir` their ledgers are kept there across restarts (and locked to this process); without it,
 * in memory. `port` is the first of five consecutive ports (see {@link SIMULATOR_PORT_OFFSETS});
 * 0, the default, gives each a free port.
 *
 * @example
 * const simulators = await startSimulators({ dataDir: '/tmp/ledgers' });
 * // ... point the shop at simulators.urls ...
 * await simulators.close();
 */
export async function startSimulators(
  options: { dataDir?: string; port?: number } = {},
): Promise<RunningSimulators> {
  const { dataDir, port: first = 0 } = options;
  const port = (offset: number) => (first === 0 ? 0 : first + offset);
  const started: { close(): Promise<void> }[] = [];
  const start = async <T extends { close(): Promise<void> }>(starting: Promise<T>): Promise<T> => {
    const service = await starting;
    started.push(service);
    return service;
  };
  try {
    const paymentGateway = await start(
      startPaymentGateway({ dataDir, port: port(SIMULATOR_PORT_OFFSETS.paymentGateway) }),
    );
    const carrier = await start(startCarrier({ dataDir, port: port(SIMULATOR_PORT_OFFSETS.carrier) }));
    const smtpSink = await start(
      startSmtpSink({
        dataDir,
        port: port(SIMULATOR_PORT_OFFSETS.smtp),
        inboxPort: port(SIMULATOR_PORT_OFFSETS.smtpInbox),
      }),
    );
    const alertSink = await start(startAlertSink({ dataDir, port: port(SIMULATOR_PORT_OFFSETS.alertSink) }));
    return {
      paymentGateway,
      carrier,
      smtpSink,
      alertSink,
      dataDir,
      urls: {
        paymentGateway: paymentGateway.url,
        carrier: carrier.url,
        smtp: smtpSink.smtpUrl,
        smtpInbox: smtpSink.inboxUrl,
        alertWebhook: alertSink.webhookUrl,
      },
      close: async () => {
        await Promise.all(started.map((service) => service.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.close()));
    throw error;
  }
}
