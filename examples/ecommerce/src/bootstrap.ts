import 'reflect-metadata';
import { type INestApplication, Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InngestService } from '@sagaline/nestjs-inngest';
import type { ShopConfig } from './config/shop-config';
import type { ShopSettings } from './config/shop-config.provider';
import { ShopModule, type ShopModuleOptions } from './shop.module';
import {
  type AlertSink,
  type CarrierSimulator,
  loadSimulatorsConfig,
  type PaymentGatewaySimulator,
  type SimulatorsProcess,
  type SimulatorUrls,
  type SmtpSink,
  startSimulators,
  startSimulatorsProcess,
} from './simulators';

/** How the shop starts the simulators it needs: those standing in for services with no URL configured. */
export interface SimulatorsOptions {
  /**
   * `process` (default): their own OS process, as `pnpm example` runs them, stopped with the shop;
   * `in-process`: inside this process, their state readable in `services` (the e2e suite).
   */
  mode?: 'process' | 'in-process';
  /** Directory of their ledgers (default `SIMULATORS_DATA_DIR`, else the example's `.data/simulators`). */
  dataDir?: string;
  /** First of their five ports (default `SIMULATORS_PORT`, else 4100); 0 picks free ports. */
  port?: number;
  /** Where the shop sends alerts (default the config's `alertWebhookUrl`); the simulators' alert sink when unset. */
  alertWebhookUrl?: string;
}

/** The simulated services the shop started, for the services not configured by URL. */
export interface SimulatedServices {
  /** The gateway, when it runs in this process and the shop uses it. */
  paymentGateway?: PaymentGatewaySimulator;
  /** The carrier, when it runs in this process and the shop uses it. */
  carrier?: CarrierSimulator;
  /** The SMTP sink, when it runs in this process and the shop uses it. */
  smtpSink?: SmtpSink;
  /** The alert sink, when it runs in this process and the shop uses it. */
  alertSink?: AlertSink;
  /** The simulators' own process, in mode `process`. */
  process?: SimulatorsProcess;
  /** Where the simulators listen (all of them, used or not), in either mode. */
  urls?: SimulatorUrls;
  /** Where their ledgers are. */
  dataDir?: string;
}

/** A running shop: the Nest app, its URL, the simulated services, and one call to stop it all. */
export interface RunningShop {
  app: INestApplication;
  url: string;
  settings: ShopSettings;
  /** Where the shop sends alerts: `ALERT_WEBHOOK_URL`, or the simulators' alert sink. */
  alertWebhookUrl: string;
  services: SimulatedServices;
  close(): Promise<void>;
}

const LOG_LEVELS: Record<ShopConfig['logLevel'], LogLevel[] | false> = {
  none: false,
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Starts the simulators as `options` says; resolves with what the shop sees of them and how to stop them. */
async function startSimulatedServices(
  config: ShopConfig,
  options: Required<Pick<SimulatorsOptions, 'mode' | 'dataDir' | 'port'>> & { alertWebhookUrl?: string },
): Promise<{ services: SimulatedServices; stop: () => Promise<unknown> }> {
  if (options.mode === 'in-process') {
    const simulators = await startSimulators({ dataDir: options.dataDir, port: options.port });
    return {
      services: {
        paymentGateway: config.paymentGatewayUrl ? undefined : simulators.paymentGateway,
        carrier: config.carrierUrl ? undefined : simulators.carrier,
        smtpSink: config.smtpUrl ? undefined : simulators.smtpSink,
        alertSink: options.alertWebhookUrl ? undefined : simulators.alertSink,
        urls: simulators.urls,
        dataDir: options.dataDir,
      },
      stop: () => simulators.close(),
    };
  }
  const child = await startSimulatorsProcess({
    dataDir: options.dataDir,
    port: options.port,
    output: 'inherit',
  });
  let stopping = false;
  void child.exited.then(({ code, signal }) => {
    if (stopping) return;
    new Logger('Simulators').warn(
      `The simulators process (pid ${child.pid}) ended (${signal ?? `code ${code}`}). Start it again alone with ` +
        '`pnpm --filter @sagaline/example-ecommerce simulators` (same ports, same ledgers, same SIMULATORS_* settings).',
    );
  });
  return {
    services: { process: child, urls: child.urls, dataDir: child.dataDir },
    stop: () => {
      stopping = true;
      return child.close();
    },
  };
}

/**
 * Starts the simulated payment gateway, carrier, SMTP sink and alert sink when any of them is
 * needed (a URL not configured), then the shop on `config.port`, and resolves once the shop has
 * synced with Inngest. `close()` stops the shop, then the simulators it started.
 */
export async function startShop(
  config: ShopConfig,
  options: ShopModuleOptions = {},
  simulators: SimulatorsOptions = {},
): Promise<RunningShop> {
  const defaults = loadSimulatorsConfig();
  const alertWebhookUrl = simulators.alertWebhookUrl ?? config.alertWebhookUrl;
  const needed = !config.paymentGatewayUrl || !config.carrierUrl || !config.smtpUrl || !alertWebhookUrl;
  const { services, stop: stopServices } = needed
    ? await startSimulatedServices(config, {
        mode: simulators.mode ?? 'process',
        dataDir: simulators.dataDir ?? defaults.dataDir,
        port: simulators.port ?? defaults.port,
        alertWebhookUrl,
      })
    : { services: {}, stop: async () => {} };
  const urls = services.urls as SimulatorUrls; // set whenever a URL below is missing
  const settings: ShopSettings = {
    ...config,
    paymentGatewayUrl: config.paymentGatewayUrl ?? urls.paymentGateway,
    carrierUrl: config.carrierUrl ?? urls.carrier,
    smtpUrl: config.smtpUrl ?? urls.smtp,
    alertWebhookUrl: alertWebhookUrl ?? urls.alertWebhook,
  };

  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(ShopModule.forRoot(settings, options), {
      logger: LOG_LEVELS[config.logLevel],
      // a failed start-up rejects, so the simulators started above are stopped, rather than aborting
      abortOnError: false,
    });
    // no enableShutdownHooks(): Nest's handler would re-raise the signal once the app is closed,
    // killing the process before close() has stopped the simulators; main.ts calls close() instead
    await app.listen(config.port, config.host);
    await app.get(InngestService).whenSynced();
  } catch (error) {
    await app?.close();
    await stopServices();
    throw error;
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const running = app;
  return {
    app: running,
    url,
    settings,
    alertWebhookUrl: settings.alertWebhookUrl,
    services,
    async close() {
      await running.close();
      await stopServices();
    },
  };
}
