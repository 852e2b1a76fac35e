/**
 * Base class of the saga package's errors; `code` is stable and survives duplicate copies of the
 * package (ESM and CJS in one process).
 */
export class SagaError extends Error {
  /** A stable, machine-readable code such as `SAGA_DEFINITION`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A saga definition is invalid; found at start-up, naming the class and method. */
export class SagaDefinitionError extends SagaError {
  constructor(
    /** The saga id or class at fault. */
    readonly saga: string,
    message: string,
  ) {
    super('SAGA_DEFINITION', message);
  }
}

/** An option of the saga package is invalid; names the option. */
export class SagaConfigError extends SagaError {
  constructor(
    /** The option at fault. */
    readonly field: string,
    message: string,
  ) {
    super('SAGA_CONFIG', message);
  }
}

/** A step failed for good (after its attempts, on a permanent error, or on timeout). */
export class SagaStepFailedError extends SagaError {
  constructor(
    /** The step that failed. */
    readonly stepId: string,
    /** The last error's name. */
    readonly causeName: string,
    /** The last error's message. */
    readonly causeMessage: string,
  ) {
    super('SAGA_STEP_FAILED', `Saga step "${stepId}" failed: ${causeMessage}`);
  }
}

/** A step took longer than its `timeoutMs`. */
export class SagaStepTimeoutError extends SagaError {
  constructor(
    /** The step that timed out. */
    readonly stepId: string,
    /** Its timeout, in ms. */
    readonly timeoutMs: number,
  ) {
    super(
      'SAGA_STEP_TIMEOUT',
      `Saga step "${stepId}" did not finish within ${timeoutMs} ms; its outcome is unknown and it will be compensated.`,
    );
  }
}
