/**
 * Base class of the breaker's errors; `code` is stable and survives duplicate copies of the
 * package (ESM and CJS in one process), so match on it rather than on `instanceof`.
 */
export class CircuitBreakerError extends Error {
  /** A stable, machine-readable code such as `CIRCUIT_OPEN`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The breaker rejected the call without making it: it is open, or half-open with every probe taken. */
export class CircuitOpenError extends CircuitBreakerError {
  constructor(
    /** The breaker's name. */
    readonly breaker: string,
    /** Its state when it rejected the call. */
    readonly state: string,
    /** Milliseconds until it lets a call through again (probes), or -1 when forced open. */
    readonly retryAfterMs: number,
  ) {
    super(
      'CIRCUIT_OPEN',
      retryAfterMs >= 0
        ? `Circuit "${breaker}" is ${state}: calls are rejected for another ${retryAfterMs} ms. Retry after that, or use a fallback.`
        : `Circuit "${breaker}" is forced open: calls are rejected until it is reset or forced closed.`,
    );
  }
}

/** The call took longer than the breaker's `timeoutMs` (counted as a failure). */
export class CircuitTimeoutError extends CircuitBreakerError {
  constructor(
    /** The breaker's name. */
    readonly breaker: string,
    /** The timeout, in ms. */
    readonly timeoutMs: number,
  ) {
    super(
      'CIRCUIT_TIMEOUT',
      `Call through circuit "${breaker}" timed out after ${timeoutMs} ms; it was aborted.`,
    );
  }
}

/** An option is invalid; the message names the option and the accepted values. */
export class CircuitBreakerConfigError extends CircuitBreakerError {
  constructor(
    /** The option at fault. */
    readonly option: string,
    message: string,
  ) {
    super('CIRCUIT_CONFIG', message);
  }
}
