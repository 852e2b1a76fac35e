import type { ClientOptions, Middleware } from 'inngest';
import { InngestConfigurationError } from './inngest.errors';
import type { InngestEventSchemas } from './inngest.events';

/**
 * Where the app's functions run.
 * - `embedded`: an in-process executor (`@sagaline/embedded-engine`); no Inngest server needed.
 * - `dev`: the Inngest Dev Server (or any server in dev mode); no request signing.
 * - `cloud`: Inngest Cloud or a self-hosted Inngest; requests are signed and verified.
 */
export type InngestMode = 'embedded' | 'dev' | 'cloud';

/**
 * Options of the embedded engine, passed verbatim to `EmbeddedEngine.start()` of
 * `@sagaline/embedded-engine` (see its `EmbeddedEngineOptions`).
 */
export interface EmbeddedModeOptions {
  [option: string]: unknown;
}

/** Options of `InngestModule.forRoot()` and of the factory of `forRootAsync()`. */
export interface InngestModuleOptions {
  /** The app id Inngest shows and keys functions by, e.g. `'shop'`. */
  appId: string;
  /**
   * Where functions run. Defaults from the environment: `INNGEST_DEV` set → `dev`;
   * `INNGEST_SIGNING_KEY` set → `cloud`; otherwise `embedded`.
   */
  mode?: InngestMode;
  /**
   * Key for sending events (`INNGEST_EVENT_KEY` when unset). Not needed in `dev`. In `embedded`,
   * the key the engine's event API requires: a fresh random one per process unless set here.
   */
  eventKey?: string;
  /**
   * Key that signs and verifies requests in `cloud` mode (`INNGEST_SIGNING_KEY` when unset). In
   * `embedded`, the key the engine signs Call Requests with (`signkey-<env>-<hex>`): a fresh random
   * one per process unless set here; the environment variable is not read in this mode.
   */
  signingKey?: string;
  /**
   * The previous signing key, accepted during a key rotation (`INNGEST_SIGNING_KEY_FALLBACK`).
   * Ignored in `embedded`: the engine signs with one key only.
   */
  signingKeyFallback?: string;
  /** URL of the Inngest server, e.g. a self-hosted Inngest or a Dev Server on another port. */
  baseUrl?: string;
  /** Inngest v4 middleware classes, applied to every function of the app. */
  middleware?: Middleware.Class[];
  /** Checkpointing (several steps per request); the SDK's default when unset. */
  checkpointing?: ClientOptions['checkpointing'];
  /** The logger functions receive as `logger`; by default one that writes through Nest's `Logger`. */
  logger?: ClientOptions['logger'];
  /** Version of the app, shown by Inngest. */
  appVersion?: string;
  /** Options of the embedded engine (`mode: 'embedded'` only). */
  embedded?: EmbeddedModeOptions;
  /**
   * Payload schemas by event name (any Standard Schema: zod, valibot, arktype, ...), checked by
   * `send()` and when a function is triggered. Events without a schema are not checked.
   */
  schemas?: InngestEventSchemas;
  /**
   * How long `whenSynced()` waits for the app to sync, and in embedded mode how long `send()` waits
   * for the first sync, before failing with `InngestSyncTimeoutError`. Default 30 000 ms.
   */
  syncTimeoutMs?: number;
}

/** Options given next to `useFactory` in `forRootAsync()`, and with the rest in `forRoot()`. */
export interface InngestModuleExtras {
  /** Register the module globally, so feature modules need not import it. Default `false`. */
  isGlobal?: boolean;
  /** Path of the serve endpoint, after any global prefix. Default `/api/inngest`. */
  servePath?: string;
  /**
   * Largest request body the serve endpoint accepts, as bytes or a string such as `'4mb'`.
   * Call Requests carry every memoized step result, so this is larger than most APIs need.
   * Default `'16mb'`.
   */
  bodyLimit?: number | string;
}

/** The serve endpoint settings, resolved from the extras. */
export interface ServeEndpointOptions {
  servePath: string;
  bodyLimit: number | string;
}

/** The default path of the serve endpoint. */
export const DEFAULT_SERVE_PATH = '/api/inngest';

/** @internal */
export const DEFAULT_BODY_LIMIT = '16mb';

/** The default of `syncTimeoutMs`: how long the app may take to sync once it starts. */
export const DEFAULT_SYNC_TIMEOUT_MS = 30_000;

/** The longest delay Node's timers take (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const isSet = (value: string | undefined) =>
  value !== undefined && value !== '' && value !== '0' && value !== 'false';

/** Resolves the mode: the option if given, otherwise from the Inngest environment variables. */
export function resolveMode(
  options: Pick<InngestModuleOptions, 'mode'>,
  env: Record<string, string | undefined>,
): InngestMode {
  if (options.mode !== undefined) {
    if (!['embedded', 'dev', 'cloud'].includes(options.mode)) {
      throw new InngestConfigurationError(
        'mode',
        `Unknown Inngest mode "${String(options.mode)}": use 'embedded', 'dev' or 'cloud', or leave it unset.`,
      );
    }
    return options.mode;
  }
  if (isSet(env.INNGEST_DEV)) return 'dev';
  if (isSet(env.INNGEST_SIGNING_KEY)) return 'cloud';
  return 'embedded';
}

/** Checks what every mode needs, before anything is started. */
export function validateOptions(
  options: InngestModuleOptions,
  mode: InngestMode,
  env: Record<string, string | undefined>,
): void {
  if (typeof options.appId !== 'string' || options.appId.trim() === '') {
    throw new InngestConfigurationError(
      'appId',
      'InngestModule needs an `appId`, a non-empty string that names your app in Inngest (e.g. "shop").',
    );
  }
  if (mode === 'cloud' && !options.signingKey && !env.INNGEST_SIGNING_KEY) {
    throw new InngestConfigurationError(
      'signingKey',
      'Inngest mode "cloud" needs a signing key to verify requests: set the INNGEST_SIGNING_KEY ' +
        'environment variable (or the `signingKey` option). For local development set INNGEST_DEV=1 ' +
        "or use mode 'embedded'.",
    );
  }
  const timeout = options.syncTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= MAX_TIMER_MS)) {
    throw new InngestConfigurationError(
      'syncTimeoutMs',
      `syncTimeoutMs is ${String(timeout)}: give a whole number of milliseconds between 1 and ${MAX_TIMER_MS}, ` +
        `or leave it unset for ${DEFAULT_SYNC_TIMEOUT_MS}.`,
    );
  }
  validateSchemas(options.schemas);
  if (mode === 'embedded' && options.signingKey && !SIGNING_KEY_FORMAT.test(options.signingKey)) {
    throw new InngestConfigurationError(
      'signingKey',
      'In mode "embedded" the `signingKey` option is the key the engine signs Call Requests with, and ' +
        "must have Inngest's format `signkey-<env>-<hex>` (e.g. `signkey-local-` and 64 hex digits). " +
        'Leave it unset for a fresh key per process.',
    );
  }
}

function validateSchemas(schemas: InngestModuleOptions['schemas']): void {
  if (schemas === undefined) return;
  if (typeof schemas !== 'object' || schemas === null || Array.isArray(schemas)) {
    throw new InngestConfigurationError(
      'schemas',
      "`schemas` must be an object of event name to schema, e.g. { 'order/created': z.object({ ... }) }.",
    );
  }
  for (const [name, schema] of Object.entries(schemas)) {
    const standard = (schema as { '~standard'?: { validate?: unknown } } | undefined)?.['~standard'];
    if (typeof standard?.validate !== 'function') {
      throw new InngestConfigurationError(
        'schemas',
        `schemas["${name}"] is not a Standard Schema: give a schema of a library that implements ` +
          'Standard Schema (zod 3.24+, valibot 1+, arktype 2+, ...), such as z.object({ ... }).',
      );
    }
  }
}

/**
 * Inngest's signing key format. The SDK hashes the hex body of the key for its bearer token, so a
 * key of another shape would make every call to the embedded engine fail with 401.
 */
const SIGNING_KEY_FORMAT = /^signkey-\w+-(?:[0-9a-f]{2})+$/i;

/** Normalises a serve path to start with one slash and end without one. */
export function normalizePath(path: string): string {
  const trimmed = path
    .trim()
    .replace(/\/{2,}/g, '/')
    .replace(/^\/|\/$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}
