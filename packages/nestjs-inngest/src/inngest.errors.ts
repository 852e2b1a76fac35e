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
