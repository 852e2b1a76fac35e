import type { InngestMode } from './inngest.options';

/**
 * Base class of every error the binding throws. `code` is stable across versions and across
 * duplicate copies of the package (ESM and CJS in one process), so match on it rather than on
 * `instanceof`.
 */
export class InngestBindingError extends Error {
  /** A stable, machine-readable code such as `INNGEST_DUPLICATE_FUNCTION`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The module options are invalid or incomplete; the message names the option and the fix. */
export class InngestConfigurationError extends InngestBindingError {
  constructor(
    /** The option (or environment variable) at fault. */
    readonly option: string,
    message: string,
  ) {
    super('INNGEST_CONFIGURATION', message);
  }
}

/** Two Inngest functions were declared with the same id. */
export class DuplicateInngestFunctionError extends InngestBindingError {
  constructor(
    /** The id declared twice. */
    readonly functionId: string,
    /** Where it was declared first, as `Class.method`. */
    readonly firstSource: string,
    /** Where it was declared again, as `Class.method`. */
    readonly secondSource: string,
  ) {
    super(
      'INNGEST_DUPLICATE_FUNCTION',
      `Inngest function id "${functionId}" is declared twice: by ${firstSource} and by ${secondSource}. ` +
        'Function ids must be unique within an app: rename one of them.',
    );
  }
}

/** An `@InngestFunction` is declared on a provider that is not a singleton. */
export class ScopedInngestFunctionError extends InngestBindingError {
  constructor(
    /** The provider class that declares the function. */
    readonly className: string,
    /** The decorated method. */
    readonly methodName: string,
  ) {
    super(
      'INNGEST_SCOPED_PROVIDER',
      `${className}.${methodName} is an @InngestFunction on a request- or transient-scoped provider. ` +
        'Inngest calls functions outside any HTTP request, so the provider must be a singleton: ' +
        'remove `scope` from its @Injectable() and anything request-scoped from its dependencies.',
    );
  }
}

/** A function was registered after the serve endpoint had been built. */
export class LateRegistrationError extends InngestBindingError {
  constructor(
    /** The id of the function registered too late. */
    readonly functionId: string,
  ) {
    super(
      'INNGEST_LATE_REGISTRATION',
      `Inngest function "${functionId}" was registered after the application bootstrapped. ` +
        'Register functions in onModuleInit, before the serve endpoint is built.',
    );
  }
}

/**
 * The app did not sync within `syncTimeoutMs`, raised by `whenSynced()` and, in embedded mode, by
 * `send()` (which waits for the first sync so that no event is sent before any function exists).
 * The usual cause is an app that never called `app.listen()`.
 */
export class InngestSyncTimeoutError extends InngestBindingError {
  constructor(
    /** Where functions run; the fix differs between the embedded engine and an Inngest server. */
    readonly mode: InngestMode,
    /** How long it waited, in milliseconds (the `syncTimeoutMs` option). */
    readonly timeoutMs: number,
  ) {
    super(
      'INNGEST_SYNC_TIMEOUT',
      mode === 'embedded'
        ? `The app did not sync with the embedded engine within ${timeoutMs} ms. In embedded mode the app ` +
            'syncs right after it starts listening: call `await app.listen(port)` before awaiting ' +
            'whenSynced() or send() (a standalone application context, or a testing module that is only ' +
            'init()-ed, never syncs; a send awaited in onModuleInit or onApplicationBootstrap runs before ' +
            'listen). Raise `syncTimeoutMs` in InngestModule.forRoot() if start-up is slow.'
        : `The app did not sync with the Inngest server within ${timeoutMs} ms (mode "${mode}"). Call ` +
            '`await app.listen(port)` and have the server sync it: the Dev Server discovers the app, Inngest ' +
            'Cloud syncs it from the dashboard or a PUT to the serve URL. Raise `syncTimeoutMs` in ' +
            'InngestModule.forRoot() to wait longer.',
    );
  }
}

/**
 * An event passed to `send()` (or `step.sendEvent`) cannot be sent as it is: its `name` is missing,
 * its `data` is not an object, or `data` holds what JSON cannot carry (a cycle, a BigInt) and the
 * SDK would silently replace. Nothing of the batch is sent.
 */
export class InngestEventPayloadError extends InngestBindingError {
  constructor(
    /** The field at fault: `name`, `data`, or a path inside `data` such as `data.order.customer`. */
    readonly field: string,
    /** The event's name, when it has one. */
    readonly eventName: string | undefined,
    /** The event's position in the batch sent. */
    readonly index: number,
    /** What is wrong and how to fix it. */
    problem: string,
  ) {
    super(
      'INNGEST_INVALID_EVENT',
      `${eventName ? `Event "${eventName}"` : 'An event'} (#${index} of the events sent) cannot be sent: ${problem} Nothing was sent.`,
    );
  }
}

/** One failed check of an event's `data` against its schema. */
export interface InngestEventSchemaIssue {
  /** Where in the event, e.g. `data.items[0].sku` (`data` for the payload as a whole). */
  readonly path: string;
  /** The schema library's message, e.g. `Expected number, received string`. */
  readonly message: string;
}

/**
 * An event's `data` does not match the schema given for its name in the module's `schemas`.
 * Raised by `send()` (nothing of the batch is sent); when a function is triggered by such an event,
 * the run fails without retries, before its handler runs, with a `NonRetriableError` whose `cause`
 * is this error.
 */
export class InngestEventSchemaError extends InngestBindingError {
  constructor(
    /** The event name whose schema rejected the data. */
    readonly eventName: string,
    /** Every issue the schema reported, with its path. */
    readonly issues: readonly InngestEventSchemaIssue[],
    /** The function the event triggered, when raised at the trigger rather than at `send()`. */
    readonly functionId?: string,
  ) {
    const listed = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    super(
      'INNGEST_EVENT_SCHEMA',
      functionId === undefined
        ? `Event "${eventName}" does not match its schema in InngestModule \`schemas\`: ${listed}. ` +
            'Nothing was sent: fix the payload (or the schema, if the payload is right).'
        : `Function "${functionId}" was triggered by event "${eventName}", whose data does not match its ` +
            `schema in InngestModule \`schemas\`: ${listed}. The run failed without retries before its ` +
            'handler ran: whoever sent the event must send a valid payload.',
    );
  }
}
