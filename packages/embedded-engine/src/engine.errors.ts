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
      `Function "${functionId}" uses \`${feature}\`, which the embedded engine does not run. ` +
        `Remove \`${feature}\` from the function, or run the app against an Inngest server (INNGEST_DEV=1 or Inngest Cloud).`,
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
