import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Logger } from '@nestjs/common';
import { Inngest } from 'inngest';
import type { EventSchemaMap } from './event-schema.validation';
import { InngestConfigurationError } from './inngest.errors';
import {
  DEFAULT_SYNC_TIMEOUT_MS,
  type InngestMode,
  type InngestModuleOptions,
  resolveMode,
  validateOptions,
} from './inngest.options';
import { InngestEventChecks } from './inngest-event.checks';
import { eventChecksMiddleware } from './inngest-event-checks.middleware';
import { InngestSyncState } from './inngest-sync.state';
import { createNestInngestLogger } from './nest-inngest.logger';

/**
 * What the binding needs of an embedded executor. `@sagaline/embedded-engine`'s `EmbeddedEngine`
 * provides it; see that package for inspection (`listRuns`, `getRun`, `waitForRun`).
 */
export interface EmbeddedExecutor {
  /** Base URL the SDK sends events, registrations and checkpoints to. */
  readonly baseUrl: string;
  /**
   * The key the executor signs Call Requests with. The client gets it and runs in the SDK's cloud
   * mode, so the serve endpoint refuses unsigned and forged requests exactly as with Inngest Cloud.
   */
  readonly signingKey: string;
  /** The key the executor's event API requires; the client sends events with it. */
  readonly eventKey: string;
  /**
   * A `fetch` that serves requests to the executor's own URL in process (events, registrations,
   * checkpoints: the same routes and key checks, without a loopback round trip) and sends anything
   * else to the global `fetch`. The client uses it when given.
   */
  readonly fetch?: typeof fetch;
  /** Asks the app at `serveUrl` to sync, as an Inngest server does; resolves once stored. */
  syncApp(serveUrl: string): Promise<void>;
  /** Stops the executor and every timer it holds. */
  close(): Promise<void>;
}

interface EmbeddedEngineModule {
  EmbeddedEngine: { start(options: Record<string, unknown>): Promise<EmbeddedExecutor> };
}

/** @internal The client and what it runs on, created once per module. */
export interface InngestRuntime {
  readonly mode: InngestMode;
  readonly client: Inngest;
  readonly engine: EmbeddedExecutor | null;
  /** Whether the app has synced; the client's middleware waits on it. */
  readonly syncState: InngestSyncState;
  /** The checks the client's middleware runs on events. */
  readonly eventChecks: InngestEventChecks;
}

const ENGINE_PACKAGE = '@sagaline/embedded-engine';

/**
 * Loads the engine next to this package or, failing that, from the app's own folder: with pnpm or
 * a monorepo the app depends on the engine while this package cannot see it.
 */
async function loadEngine(): Promise<EmbeddedEngineModule> {
  try {
    return (await import(ENGINE_PACKAGE)) as EmbeddedEngineModule;
  } catch (nextToBinding) {
    try {
      const fromApp = createRequire(join(process.cwd(), 'package.json')).resolve(ENGINE_PACKAGE);
      return (await import(pathToFileURL(fromApp).href)) as EmbeddedEngineModule;
    } catch {
      throw nextToBinding;
    }
  }
}

async function startEmbeddedEngine(options: InngestModuleOptions): Promise<EmbeddedExecutor> {
  let engineModule: EmbeddedEngineModule;
  try {
    engineModule = await loadEngine();
  } catch (error) {
    throw new InngestConfigurationError(
      'mode',
      `Inngest mode "embedded" runs functions in-process with ${ENGINE_PACKAGE}, which could not be ` +
        `loaded (${(error as Error).message}). Install it (npm i ${ENGINE_PACKAGE}), or use an Inngest ` +
        'server: set INNGEST_DEV=1 for the Dev Server, or INNGEST_SIGNING_KEY for Inngest Cloud.',
    );
  }
  return engineModule.EmbeddedEngine.start({
    logger: new Logger('InngestEmbeddedEngine'),
    // Keys the user chose (a fixed key outlives restarts); otherwise the engine makes its own.
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    ...(options.eventKey ? { eventKey: options.eventKey } : {}),
    ...options.embedded,
  });
}

/** @internal Resolves the mode, checks the options and creates the client (and engine). */
export async function createInngestRuntime(
  options: InngestModuleOptions,
  env: Record<string, string | undefined> = process.env,
): Promise<InngestRuntime> {
  const mode = resolveMode(options, env);
  validateOptions(options, mode, env);
  const engine = mode === 'embedded' ? await startEmbeddedEngine(options) : null;
  const syncState = new InngestSyncState(mode, options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
  const eventChecks = new InngestEventChecks(mode, syncState, (options.schemas ?? {}) as EventSchemaMap);
  const client = new Inngest({
    id: options.appId,
    // Embedded runs in the SDK's cloud mode: dev mode skips signature checks entirely, which let
    // any local process run any function with any payload.
    isDev: mode === 'dev',
    ...(engine
      ? {
          baseUrl: engine.baseUrl,
          eventKey: engine.eventKey,
          signingKey: engine.signingKey,
          ...(engine.fetch ? { fetch: engine.fetch } : {}),
        }
      : {
          baseUrl: options.baseUrl,
          eventKey: options.eventKey,
          signingKey: options.signingKey,
          signingKeyFallback: options.signingKeyFallback,
        }),
    middleware: [...eventChecksMiddleware(eventChecks), ...(options.middleware ?? [])],
    checkpointing: options.checkpointing,
    logger: options.logger ?? createNestInngestLogger(),
    appVersion: options.appVersion,
  });
  return { mode, client, engine, syncState, eventChecks };
}
