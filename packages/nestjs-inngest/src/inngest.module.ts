import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { INNGEST_CLIENT, INNGEST_EMBEDDED_ENGINE, INNGEST_RUNTIME } from './inngest.constants';
import { InngestExplorer } from './inngest.explorer';
import { InngestHealthIndicator } from './inngest.health';
import { ConfigurableInngestModule, INNGEST_MODULE_OPTIONS } from './inngest.module-definition';
import type { InngestModuleOptions } from './inngest.options';
import { createInngestRuntime, type InngestRuntime } from './inngest.runtime';
import { InngestService } from './inngest.service';
import { InngestFunctionRegistry } from './inngest-function.registry';
import { InngestSyncState } from './inngest-sync.state';
import { InngestServeRegistrar } from './serve/inngest-serve.registrar';

/**
 * Connects a Nest app to Inngest: creates the client, discovers `@InngestFunction` methods, and
 * serves them at `/api/inngest` on Express or Fastify.
 *
 * @example
 * ```ts
 * @Module({ imports: [InngestModule.forRoot({ appId: 'shop', isGlobal: true })] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: INNGEST_RUNTIME,
      inject: [INNGEST_MODULE_OPTIONS],
      useFactory: (options: InngestModuleOptions) => createInngestRuntime(options),
    },
    {
      provide: INNGEST_CLIENT,
      inject: [INNGEST_RUNTIME],
      useFactory: (runtime: InngestRuntime) => runtime.client,
    },
    {
      provide: INNGEST_EMBEDDED_ENGINE,
      inject: [INNGEST_RUNTIME],
      useFactory: (runtime: InngestRuntime) => runtime.engine,
    },
    InngestFunctionRegistry,
    {
      provide: InngestSyncState,
      inject: [INNGEST_RUNTIME],
      useFactory: (runtime: InngestRuntime) => runtime.syncState,
    },
    InngestService,
    InngestExplorer,
    InngestServeRegistrar,
    InngestHealthIndicator,
  ],
  exports: [
    INNGEST_CLIENT,
    INNGEST_EMBEDDED_ENGINE,
    InngestService,
    InngestFunctionRegistry,
    InngestHealthIndicator,
  ],
})
export class InngestModule extends ConfigurableInngestModule {}
