/**
 * Base class of the event store's errors; `code` is stable and survives duplicate copies of the
 * package (ESM and CJS in one process), so match on it rather than on `instanceof`.
 */
export class EventStoreError extends Error {
  /** A stable, machine-readable code such as `WRONG_EXPECTED_VERSION`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The stream is not at the version the append expected; nothing was written. */
export class WrongExpectedVersionError extends EventStoreError {
  constructor(
    /** The stream appended to. */
    readonly streamId: string,
    /** What the append expected: a version, `no_stream` or `stream_exists`. */
    readonly expected: number | 'no_stream' | 'stream_exists',
    /**
     * The stream's version as the append found it (0: the stream does not exist). An append that
     * waited in the process behind another append to the stream, which took the stream past the
     * expected version, is refused without a round trip and reports the version that append saw.
     */
    readonly actual: number,
  ) {
    super(
      'WRONG_EXPECTED_VERSION',
      `Stream "${streamId}" is at version ${actual}${actual === 0 ? ' (it does not exist)' : ''}, expected ${
        typeof expected === 'number' ? `version ${expected}` : expected
      }. Nothing was written: reload the stream, decide again, and retry with the new version.`,
    );
  }
}

/**
 * Some of the events' ids are already stored and some are not (or they are stored in another
 * stream), so the append is neither new nor a replay of an earlier one; nothing was written.
 */
export class DuplicateEventIdError extends EventStoreError {
  constructor(
    /** The stream appended to. */
    readonly streamId: string,
    /** The ids already stored. */
    readonly eventIds: string[],
  ) {
    super(
      'DUPLICATE_EVENT_ID',
      `Appending to "${streamId}": event ids ${eventIds.map((id) => `"${id}"`).join(', ')} are already stored, but not as this exact append. Nothing was written: give new events new ids, and retry a failed append with exactly the same events.`,
    );
  }
}

/** An argument or option is invalid; names the field and the fix. Nothing was written. */
export class EventStoreValidationError extends EventStoreError {
  constructor(
    /** The offending field, as a path (`events[2].data`, `options.expectedVersion`). */
    readonly field: string,
    message: string,
  ) {
    super('EVENT_STORE_VALIDATION', `${field}: ${message}`);
  }
}

/** The store is misconfigured (options, schema name, adapter); found at start-up. */
export class EventStoreConfigError extends EventStoreError {
  constructor(
    /** The offending option. */
    readonly option: string,
    message: string,
  ) {
    super('EVENT_STORE_CONFIG', message);
  }
}

/**
 * The store could not reach its database at start-up: the message names the adapter, the host and
 * the option to check, with the driver's own error as `cause`.
 */
export class EventStoreConnectionError extends EventStoreError {
  constructor(
    /** The adapter, e.g. `postgres`. */
    readonly adapter: string,
    /** Where it tried to connect, `host:port`. */
    readonly address: string,
    /** The option that names the database. */
    readonly option: string,
    cause: unknown,
  ) {
    super(
      'EVENT_STORE_CONNECTION',
      `The ${adapter} event store could not connect to ${address} (${(cause as Error)?.message ?? String(cause)}). ` +
        `Check \`${option}\` (e.g. DATABASE_URL) and that the database runs there and accepts this user.`,
    );
    this.cause = cause;
  }
}

/**
 * A transaction's work caught an error of one of its statements and went on: the database had
 * aborted the transaction at that statement, so nothing of it was committed. Let the store's errors
 * propagate out of `transaction()`'s work, or rethrow them. `cause` is the statement's error.
 */
export class TransactionAbortedError extends EventStoreError {
  constructor(cause: unknown) {
    super(
      'TRANSACTION_ABORTED',
      `The transaction was not committed: one of its statements failed (${(cause as Error)?.message ?? String(cause)}) and the work went on after catching the error. Let the error propagate out of transaction(), or rethrow it.`,
      { cause },
    );
  }
}

/** An upcaster failed, or a stored event has a schema version no upcaster chain can reach. */
export class UpcastError extends EventStoreError {
  constructor(
    /** The event type. */
    readonly eventType: string,
    /** The stored schema version. */
    readonly schemaVersion: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super('UPCAST_FAILED', message, options);
  }
}

/** A subscription handler failed; the batch was rolled back and the checkpoint did not move. */
export class SubscriptionHandlerError extends EventStoreError {
  constructor(
    /** The subscription's name. */
    readonly subscription: string,
    /** The event whose handling failed. */
    readonly eventId: string,
    options?: ErrorOptions,
  ) {
    super(
      'SUBSCRIPTION_HANDLER_FAILED',
      `Subscription "${subscription}" failed on event "${eventId}": ${(options?.cause as Error)?.message ?? options?.cause}. Its checkpoint stays before this event; it is retried on the next poll.`,
      options,
    );
  }
}
