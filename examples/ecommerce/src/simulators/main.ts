/**
 * The simulators' own process (`pnpm simulators`, or spawned by the shop): the payment gateway,
 * the carrier, the SMTP sink and the alert sink, with their ledgers in `SIMULATORS_DATA_DIR`.
 * Reports ready over IPC when it has a parent that asked for it, else prints its URLs and a
 * `SIMULATORS_READY {json}` line. Stops on SIGINT, SIGTERM, or when the parent's IPC channel closes.
 */
import { Logger } from '@nestjs/common';
import { type RunningSimulators, shopEnvironmentFor, startSimulators } from './simulators';
import { loadSimulatorsConfig } from './simulators-config';
import { SIMULATORS_READY_LINE, type SimulatorsReadyMessage } from './simulators-process';

const logger = new Logger('Simulators');

let simulators: RunningSimulators;
let dataDir: string;
try {
  const config = loadSimulatorsConfig();
  dataDir = config.dataDir;
  simulators = await startSimulators({ dataDir, port: config.port });
} catch (error) {
  logger.error((error as Error).message);
  process.exit(1);
}

const { paymentGateway, carrier, smtpSink, alertSink, urls } = simulators;
logger.log(
  `Ledgers in ${dataDir}: ${paymentGateway.charges.size} charges, ${paymentGateway.refunds.size} refunds, ` +
    `${carrier.shipments.size} shipments, ${smtpSink.messages.length} emails, ${alertSink.alerts.length} alerts.`,
);

// Before anything says ready: until a process has a listener, SIGTERM ends it at once (the
// operating system's default), which a parent signalling right after "ready" would hit.
let stopping = false;
const stop = (why: string) => {
  if (stopping) return;
  stopping = true;
  logger.log(`Stopping (${why}).`);
  simulators.close().then(
    () => process.exit(0),
    (error) => {
      logger.error(`Stopping failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// the process that started us is gone (even by kill -9): do not stay behind holding the ports
process.once('disconnect', () => stop('the process that started them has gone'));

const ready: SimulatorsReadyMessage = { type: 'sagaline.simulators.ready', pid: process.pid, dataDir, urls };
if (process.send) {
  process.send(ready);
} else {
  const environment = Object.entries(shopEnvironmentFor(urls))
    .map(([name, value]) => `${name}=${value}`)
    .join(' \\\n    ');
  console.log(`
  Sagaline example simulators are running (pid ${process.pid}).

  Payment gateway        ${urls.paymentGateway}   (PUT /__control to inject faults)
  Carrier                ${urls.carrier}
  SMTP                   ${urls.smtp}   (read mail at ${urls.smtpInbox}/messages)
  Alert webhook          ${urls.alertWebhook}   (GET lists the alerts)
  Ledgers                ${dataDir}

  A shop started with these uses them instead of starting its own:
    ${environment}

  Ctrl+C stops them; the ledgers stay.
`);
  console.log(`${SIMULATORS_READY_LINE} ${JSON.stringify(ready)}`);
}
