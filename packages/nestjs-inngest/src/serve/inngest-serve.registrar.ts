import type { AddressInfo } from 'node:net';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import bytes from 'bytes';
import { serve as serveExpress } from 'inngest/express';
import { serve as serveFastify } from 'inngest/fastify';
import type { Subscription } from 'rxjs';
import { INNGEST_RUNTIME } from '../inngest.constants';
import { InngestConfigurationError } from '../inngest.errors';
import { InngestExplorer } from '../inngest.explorer';
import { INNGEST_SERVE_OPTIONS } from '../inngest.module-definition';
import { normalizePath, type ServeEndpointOptions } from '../inngest.options';
import type { InngestRuntime } from '../inngest.runtime';
import { declarationSource } from '../inngest-function.declarations';
import { InngestFunctionRegistry } from '../inngest-function.registry';
import { InngestSyncState } from '../inngest-sync.state';
import { mountExpressEndpoint } from './express-endpoint';
import { mountFastifyEndpoint } from './fastify-endpoint';
import type { FrameworkHandler, ServeEndpoint } from './serve-handler';

/**
 * @internal Mounts the serve endpoint on the app's HTTP adapter (Express or Fastify), builds the
 * SDK handler once every function is registered, syncs with the embedded engine once the app
 * listens, and stops the engine with the app.
 *
 * In embedded mode the handler is built only once the app listens, with the URL it syncs
 * (`serveOrigin` and `servePath`) pinned: left to itself the SDK derives the URL it registers from
 * each sync request's `Host` header, so a forged `PUT` could point the engine, and the events it
 * sends, at another port.
 */
@Injectable()
export class InngestServeRegistrar
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('InngestModule');
  private handler?: FrameworkHandler;
  private functions?: ReturnType<InngestFunctionRegistry['seal']>;
  private listening?: Subscription;
  private stopping?: Promise<void>;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly appConfig: ApplicationConfig,
    private readonly registry: InngestFunctionRegistry,
    private readonly syncState: InngestSyncState,
    private readonly explorer: InngestExplorer,
    @Inject(INNGEST_RUNTIME) private readonly runtime: InngestRuntime,
    @Inject(INNGEST_SERVE_OPTIONS) private readonly serveOptions: ServeEndpointOptions,
  ) {}

  /** Runs after Nest registered its routes and before its not-found handler, which must come last. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return; // a standalone application context serves nothing
    const endpoint = this.endpoint();
    const type = adapter.getType();
    if (type === 'express') mountExpressEndpoint(adapter.getInstance(), endpoint);
    else if (type === 'fastify') mountFastifyEndpoint(adapter.getInstance(), endpoint);
    else {
      throw new InngestConfigurationError(
        'httpAdapter',
        `The Inngest serve endpoint supports Express and Fastify; this app runs on "${type}".`,
      );
    }
    if (this.runtime.engine) {
      // Nest emits listen$ synchronously in the server's listen callback, so the pinned handler is
      // in place before the first request is read.
      this.listening = this.adapterHost.listen$.subscribe(() => {
        const serveUrl = this.listeningUrl(endpoint.path);
        if (!serveUrl) {
          this.syncState.markFailed(
            new InngestConfigurationError(
              'listen',
              'In embedded mode the engine calls the app over TCP, but the app listens on a pipe or socket: ' +
                'call app.listen() with a port (app.listen(3000)), or use an Inngest server (INNGEST_DEV=1).',
            ),
          );
          return;
        }
        this.handler = this.createHandler(serveUrl);
        void this.syncWithEngine(serveUrl);
      });
    }
  }

  onApplicationBootstrap(): void {
    if (!this.adapterHost.httpAdapter) return;
    this.functions = this.registry.seal();
    this.runtime.eventChecks.useFunctions(this.functions, this.explorer.notProvided);
    if (!this.runtime.engine) this.handler = this.createHandler();
  }

  /**
   * Stops the engine before Nest closes the HTTP server: an engine still dispatching Call Requests
   * to a closing server keeps it open (over a minute on Fastify) while runs are in progress.
   */
  beforeApplicationShutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  /** Stops what `beforeApplicationShutdown` did not (a context closed without that hook). */
  onApplicationShutdown(): Promise<void> {
    return this.beforeApplicationShutdown();
  }

  private async stop(): Promise<void> {
    this.listening?.unsubscribe();
    this.syncState.close();
    await this.runtime.engine?.close();
  }

  private endpoint(): ServeEndpoint {
    const path = normalizePath(`${this.appConfig.getGlobalPrefix()}/${this.serveOptions.servePath}`) || '/';
    const bodyLimit = bytes.parse(this.serveOptions.bodyLimit);
    if (bodyLimit === null || !Number.isFinite(bodyLimit) || bodyLimit <= 0) {
      throw new InngestConfigurationError(
        'bodyLimit',
        `bodyLimit "${this.serveOptions.bodyLimit}" is not a size: give bytes (4194304) or a string such as '4mb'.`,
      );
    }
    return {
      path,
      bodyLimit,
      handler: () => {
        if (!this.handler) {
          throw new Error(
            this.runtime.engine
              ? 'The Inngest serve endpoint is not ready: in embedded mode it serves once the app listens on a TCP port.'
              : 'The Inngest serve endpoint is not ready: the app has not bootstrapped.',
          );
        }
        return this.handler;
      },
      onHandled: (method, status) => {
        if (method !== 'PUT' || status !== 200) return;
        // In embedded mode syncWithEngine reports the sync, once the engine has stored it.
        if (this.syncState.markSynced() && !this.runtime.engine) this.reportSynced('the Inngest server');
      },
    };
  }

  /** The SDK handler; with `serveUrl`, one that registers that URL whatever the request says. */
  private createHandler(serveUrl?: URL): FrameworkHandler {
    const serve = this.adapterHost.httpAdapter.getType() === 'fastify' ? serveFastify : serveExpress;
    return serve({
      client: this.runtime.client,
      functions: this.functions ?? [],
      ...(serveUrl ? { serveOrigin: serveUrl.origin, servePath: serveUrl.pathname } : {}),
    }) as FrameworkHandler;
  }

  /** The loopback URL of the endpoint on the port the app listens on; none for a pipe or socket. */
  private listeningUrl(path: string): URL | undefined {
    const address = this.adapterHost.httpAdapter.getHttpServer().address() as AddressInfo | string | null;
    if (!address || typeof address === 'string') return undefined;
    const host = ['::', '0.0.0.0', ''].includes(address.address)
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
    return new URL(`http://${host}:${address.port}${path}`);
  }

  private async syncWithEngine(serveUrl: URL): Promise<void> {
    const url = serveUrl.href;
    try {
      await this.runtime.engine!.syncApp(url);
      this.syncState.markSynced();
      this.reportSynced(`the embedded engine at ${url}`);
    } catch (error) {
      this.syncState.markFailed(error as Error);
      this.logger.error(`Sync with the embedded engine failed: ${(error as Error).message}`);
    }
  }

  /**
   * Logs the sync; warns when the app serves no function at all, naming the decorated classes that
   * no module provides (the usual cause: the class is imported but missing from `providers`).
   */
  private reportSynced(target: string): void {
    const functions = this.registry.list();
    const count = functions.length;
    const notProvided = this.explorer.notProvided.map(declarationSource);
    const unserved = this.warnUnservedModuleFunctions(new Set(functions.map((fn) => fn.id)));
    if (count > 0 || unserved > 0) {
      if (count > 0) this.logger.log(`Synced ${count} function${count === 1 ? '' : 's'} with ${target}`);
      // Not a warning: a process may define functions that this app deliberately leaves out.
      if (notProvided.length > 0) {
        this.logger.debug(`Declared but provided by no module of this app: ${notProvided.join(', ')}`);
      }
      return;
    }
    this.logger.warn(
      `Synced with ${target}, but the app has no Inngest functions: no provider of any module has an ` +
        '@InngestFunction method, so no event will start a run. Add the classes that declare your ' +
        "functions to a module's `providers` (importing the file is not enough: Nest only discovers " +
        'the providers it creates).' +
        (notProvided.length > 0
          ? ` Declared with @InngestFunction but in no module's \`providers\`: ${notProvided.join(', ')}.`
          : ''),
    );
  }

  /**
   * Warns for each provider whose class another package's decorator marks (`@Saga`) but whose
   * functions were never registered: that package's module is not imported. Returns how many.
   */
  private warnUnservedModuleFunctions(registered: ReadonlySet<string>): number {
    let unserved = 0;
    for (const [declaringClass, { decorator, module, functionIds }] of this.explorer.moduleBuilt) {
      const missing = functionIds.filter((id) => !registered.has(id));
      if (missing.length === 0) continue;
      unserved++;
      const one = missing.length === 1;
      this.logger.warn(
        `${declaringClass.name} is decorated with ${decorator} and provided, but its Inngest ` +
          `function${one ? '' : 's'} ${missing.map((id) => `"${id}"`).join(', ')} ${one ? 'is' : 'are'} ` +
          `not served, so no event will start ${one ? 'it' : 'them'}: import ${module} in a module of this app.`,
      );
    }
    return unserved;
  }
}
