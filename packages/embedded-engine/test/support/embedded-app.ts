import 'reflect-metadata';
import type { INestApplication, ModuleMetadata, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { INNGEST_EMBEDDED_ENGINE, InngestModule, InngestService } from '@sagaline/nestjs-inngest';
import type { EmbeddedEngine, EmbeddedEngineOptions } from '../../src';

export type Platform = 'express' | 'fastify';

export interface EmbeddedApp {
  app: INestApplication;
  engine: EmbeddedEngine;
  inngest: InngestService;
  close(): Promise<void>;
}

/**
 * A real Nest app in embedded mode: the binding starts the engine, the app listens on a loopback
 * port, and the engine syncs with the app's real serve endpoint.
 */
export async function startEmbeddedApp(
  platform: Platform,
  providers: Provider[],
  embedded: EmbeddedEngineOptions,
  appId = 'conformance',
  imports: ModuleMetadata['imports'] = [],
): Promise<EmbeddedApp> {
  @Module({
    imports: [
      InngestModule.forRoot({
        appId,
        mode: 'embedded',
        isGlobal: true,
        embedded: embedded as Record<string, unknown>,
      }),
      ...(imports ?? []),
    ],
    providers,
  })
  class EmbeddedTestModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(EmbeddedTestModule, adapter, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const inngest = app.get(InngestService);
  try {
    await inngest.whenSynced();
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, engine: app.get(INNGEST_EMBEDDED_ENGINE), inngest, close: () => app.close() };
}
