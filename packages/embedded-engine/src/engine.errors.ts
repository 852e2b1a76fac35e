/**
 * Base class of the engine's errors. `code` is stable and survives duplicate copies of the package
 * (ESM and CJS in one process): match on it rather than on `instanceof`.
 */
export class EmbeddedEngineError extends Error {
  /** A stable, machine-readable code such as `ENGINE_UNSUPPORTED_FEATURE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The app registered a function that uses an Inngest feature the engine does not run. */
export class UnsupportedFeatureError extends EmbeddedEngineError {
  constructor(
    /** The function's id as registered, e.g. `shop-send-receipt`. */
    readonly functionId: string,
    /** The feature, as its config field, e.g. `rateLimit`. */
    readonly feature: string,
  ) {
    super(
      'ENGINE_UNSUPPORTED_FEATURE',
      `Function "${functionId}" uses \`${feature}\`, which the embedded engine does not run, so it starts no runs here; ` +
        `the rest of the app runs. Remove \`${feature}\` from the function, or run the app against an Inngest server (INNGEST_DEV=1 or Inngest Cloud).`,
    );
  }
}

/** Syncing the app failed: its serve endpoint did not answer the sync, or answered with an error. */
export class AppSyncError extends EmbeddedEngineError {
  constructor(
    /** The serve URL the engine asked to sync. */
    readonly serveUrl: string,
    detail: string,
  ) {
    super('ENGINE_SYNC_FAILED', `Syncing the app at ${serveUrl} failed: ${detail}`);
  }
}

/** An engine option is invalid; the message names the option and the fix. */
export class EngineConfigurationError extends EmbeddedEngineError {
  constructor(
    /** The option at fault. */
    readonly option: string,
    message: string,
  ) {
    super('ENGINE_CONFIGURATION', message);
  }
}

/** `waitForRun` gave up before a run matched. */
export class WaitForRunTimeoutError extends EmbeddedEngineError {
  constructor(
    /** The filter that no run matched. */
    readonly filter: unknown,
    /** How long it waited, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(
      'ENGINE_WAIT_TIMEOUT',
      `No run matched ${JSON.stringify(filter)} within ${timeoutMs} ms. Check the function id and the event, or raise the timeout.`,
    );
  }
}

/** Another engine holds the store's lease: one engine at a time may run a store's runs. */
export class EngineLeaseError extends EmbeddedEngineError {
  constructor(
    /** The store, e.g. `the PostgreSQL schema "shop_engine"`. */
    readonly store: string,
    /** How long this engine waited for the lease, in milliseconds. */
    readonly waitedMs: number,
  ) {
    super(
      'ENGINE_STORE_LEASED',
      `Another embedded engine holds ${store} (waited ${waitedMs} ms): one engine at a time runs a store, ` +
        'or two would run the same steps. Stop the other process, give this one its own schema or directory, ' +
        'or, to run several instances of the app, run them against an Inngest server (self-hosted `inngest start` or Inngest Cloud).',
    );
  }
}

/** The engine stopped (closed, or lost its store lease) before a change was stored: it was not accepted. */
export class EngineStoppedError extends EmbeddedEngineError {
  constructor(
    /** Why it stopped. */
    readonly reason: string,
  ) {
    super(
      'ENGINE_STOPPED',
      `The embedded engine stopped before the change was stored (${reason}); nothing was accepted.`,
    );
  }
}

/** The event API refused events as the server would (too many in one request, or one too large); none was stored. */
export class EventRejectedError extends EmbeddedEngineError {
  constructor(message: string) {
    super('ENGINE_EVENT_REJECTED', message);
  }
}

/**
 * The run store could not reach its database when the engine started: the message names the
 * store, the host and the option to check, with the driver's own error as `cause`.
 */
export class EngineStoreConnectionError extends EmbeddedEngineError {
  constructor(
    /** The store, e.g. `embedded engine PostgreSQL run store`. */
    readonly store: string,
    /** Where it tried to connect, `host:port`. */
    readonly address: string,
    /** The option that names the database, e.g. `connectionString`. */
    readonly option: string,
    cause: unknown,
  ) {
    super(
      'ENGINE_STORE_CONNECTION',
      `The ${store} could not connect to ${address} (${(cause as Error)?.message ?? String(cause)}). ` +
        `Check \`${option}\` (e.g. DATABASE_URL) and that the database runs there and accepts this user.`,
      { cause },
    );
  }
}
