/** An event as the engine stores it. */
export interface EngineEvent {
  /** The event id; the engine assigns a ULID when the sender gave none. */
  id: string;
  /** The event name, e.g. `order/created`. */
  name: string;
  /** The payload. */
  data: Record<string, unknown>;
  /** When the event happened, in milliseconds since the epoch. */
  ts: number;
  /** The payload's schema version, if sent. */
  v?: string;
}

/** An error as Inngest serializes it. */
export interface SerializedError {
  /** The error class name, e.g. `NonRetriableError`. */
  name: string;
  /** The message. */
  message: string;
  /** The stack, when the SDK sent one. */
  stack?: string;
  [field: string]: unknown;
}

/** A function trigger as the SDK registers it. */
export interface RegisteredTrigger {
  /** An event name or a wildcard (`order/*`). */
  event?: string;
  /** A CEL expression over `event` that must hold. */
  expression?: string;
  /** A cron schedule. */
  cron?: string;
  /** A cron firing's random delay, at most this duration (`"30s"`). */
  jitter?: string;
}

/** A function as the SDK registers it at sync (the fields the engine reads). */
export interface RegisteredFunction {
  /** The composite id, `<appId>-<functionId>`. */
  id: string;
  /** The display name. */
  name: string;
  /** What starts it. */
  triggers: RegisteredTrigger[];
  /** Where to call it, and its retry budget. */
  steps: { step: { runtime: { url: string }; retries?: { attempts: number } } };
  /** `cancelOn`: events that cancel a run. */
  cancel?: Array<{ event: string; if?: string; timeout?: string }>;
  /** Concurrency limits. */
  concurrency?: number | ConcurrencyLimit | ConcurrencyLimit[];
  [field: string]: unknown;
}

/** One concurrency limit: at most `limit` steps of the function run at once (per `key` value). */
export interface ConcurrencyLimit {
  /** How many may run at once. */
  limit: number;
  /** A CEL expression over `event` that partitions the limit, e.g. `event.data.customerId`. */
  key?: string;
  /** Scope of the limit; the engine serves one app, so every scope behaves as `fn`. */
  scope?: 'fn' | 'env' | 'account';
}

/** The state of a run. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** One step of a run's timeline. */
export interface StepTimelineEntry {
  /** The hashed step id the SDK uses. */
  id: string;
  /** The step's name (its id in user code). */
  name: string;
  /** The kind of step: `run`, `sleep`, `waitForEvent`, `invoke`. */
  kind: string;
  /** How many attempts it took. */
  attempts: number;
  /** Its result, when it succeeded. */
  output?: unknown;
  /** Its final error, when it failed. */
  error?: SerializedError;
  /** When it started, in milliseconds since the epoch. */
  startedAt: number;
  /** When it ended. */
  endedAt?: number;
}

/** Work a run is waiting for; persisted so that a restarted engine resumes it. */
export type PendingWork =
  | {
      kind: 'call';
      stepId: string;
      attempt: number;
      dueAt: number;
      name?: string;
      startedAt?: number;
      /** A step of a `group.parallel` race: its end asks the SDK what comes next at once. */
      race?: boolean;
    }
  | { kind: 'sleep'; opId: string; name: string; dueAt: number }
  | { kind: 'wait'; opId: string; name: string; event: string; if?: string; dueAt: number }
  | { kind: 'invoke'; opId: string; name: string; childRunId: string; dueAt: number }
  | {
      kind: 'fetch';
      opId: string;
      name: string;
      dueAt: number;
      /** The request `step.fetch` asked for; the engine makes it (again, after a restart). */
      request: { url: string; method: string; headers: Record<string, string>; body?: string };
    };

/**
 * The flow-control keys a run was admitted under, stored with it so that a restarted engine
 * relearns its idempotency keys, rate-limit windows, throttle queue, singletons and open batches.
 */
export interface RunFlowKeys {
  /** Its function's `idempotency` key for its event. */
  idempotency?: string;
  /** Its `rateLimit` key. */
  rateLimit?: string;
  /** Its `singleton` key. */
  singleton?: string;
  /** Its `throttle` key. */
  throttle?: string;
  /** Its `debounce` key, while it waits to start. */
  debounce?: string;
  /** Its `batchEvents` key, while the batch is open. */
  batch?: string;
}

/** Everything the engine knows about a run. */
export interface RunRecord {
  /** The run id (a ULID). */
  id: string;
  /** The composite function id, `<appId>-<functionId>`. */
  functionId: string;
  /** The triggering event. */
  event: EngineEvent;
  /** All triggering events. */
  events: EngineEvent[];
  /** The internal id the triggering event got when it was accepted (what `send()` answered). */
  eventInternalId?: string;
  /** Where the run is. */
  status: RunStatus;
  /** The return value, once completed. */
  output?: unknown;
  /** The final error, once failed. */
  error?: SerializedError;
  /** When the run was created. */
  createdAt: number;
  /** When its first Call Request went out. */
  startedAt?: number;
  /** When it ended. */
  endedAt?: number;
  /** Memoized step results by hashed step id, as sent back to the SDK. */
  steps: Record<string, unknown>;
  /** Hashed step ids in completion order. */
  stack: string[];
  /** The step timeline. */
  timeline: StepTimelineEntry[];
  /** What the run waits for. */
  pending: PendingWork[];
  /** While a parallel batch is open, discovery must not run steps inline. */
  forcePlan: boolean;
  /** The run that invoked this one, if any. */
  invokedBy?: { runId: string; opId: string };
  /** The flow-control keys it was admitted under. */
  flow?: RunFlowKeys;
  /** When its first Call Request was due: later than creation when throttled, debounced or batching. */
  scheduledAt?: number;
  /** When the run is cancelled unless it has started (`timeouts.start`) or ended (`timeouts.finish`). */
  deadline?: { phase: 'start' | 'finish'; at: number };
}
