import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InngestService } from '@sagaline/nestjs-inngest';
import type { ShopConfig } from './config/shop-config';
import type { ShopSettings } from './config/shop-config.provider';
import { ShopModule, type ShopModuleOptions } from './shop.module';
import {
  type CarrierSimulator,
  type PaymentGatewaySimulator,
  type SmtpSink,
  startCarrier,
  startPaymentGateway,
  startSmtpSink,
} from './simulators';

/** The simulated services this process started (those not configured by URL). */
export interface SimulatedServices {
  paymentGateway?: PaymentGatewaySimulator;
  carrier?: CarrierSimulator;
  smtpSink?: SmtpSink;
}

/** A running shop: the Nest app, its URL, the simulated services, and one call to stop it all. */
export interface RunningShop {
  app: INestApplication;
  url: string;
  settings: ShopSettings;
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

/**
 * Starts the simulated payment gateway, carrier and SMTP sink (unless their URLs are configured),
 * then the shop on `config.port`, and resolves once the shop has synced with Inngest.
 */
export async function startShop(config: ShopConfig, options: ShopModuleOptions = {}): Promise<RunningShop> {
  const services: SimulatedServices = {};
  if (!config.paymentGatewayUrl) services.paymentGateway = await startPaymentGateway();
  if (!config.carrierUrl) services.carrier = await startCarrier();
  if (!config.smtpUrl) services.smtpSink = await startSmtpSink();
  const settings: ShopSettings = {
    ...config,
    paymentGatewayUrl: config.paymentGatewayUrl ?? (services.paymentGateway as PaymentGatewaySimulator).url,
    carrierUrl: config.carrierUrl ?? (services.carrier as CarrierSimulator).url,
    smtpUrl: config.smtpUrl ?? (services.smtpSink as SmtpSink).smtpUrl,
  };
  const stopServices = () =>
    Promise.all([services.paymentGateway?.close(), services.carrier?.close(), services.smtpSink?.close()]);

  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(ShopModule.forRoot(settings, options), {
      logger: LOG_LEVELS[config.logLevel],
    });
    app.enableShutdownHooks();
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
    services,
    async close() {
      await running.close();
      await stopServices();
    },
  };
}
