import 'reflect-metadata';
import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

export type Platform = 'express' | 'fastify';

export interface TestApp {
  app: INestApplication;
  /** Base URL, e.g. http://127.0.0.1:41234 (empty when the app does not listen) */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where Nest's Logger writes; silent by default. */
  logger?: LoggerService;
  /** `false` initialises the app without `app.listen()`, the mistake some tests reproduce. */
  listen?: boolean;
}

/** Starts a real Nest app on a loopback port, on Express or Fastify. */
export async function startApp(
  platform: Platform,
  metadata: ModuleMetadata,
  configure: (app: INestApplication) => void = () => undefined,
  options: StartOptions = {},
): Promise<TestApp> {
  @Module(metadata)
  class TestAppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(TestAppModule, adapter, {
    logger: options.logger ?? false,
    // a failed start-up is the test's error to report, not a reason to abort the worker
    abortOnError: false,
  });
  configure(app);
  if (options.listen === false) {
    await app.init();
    return { app, url: '', close: () => app.close() };
  }
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}
