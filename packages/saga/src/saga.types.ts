import type { Logger } from 'inngest';

/** The marker a compensation receives for a step whose outcome is unknown (it failed or timed out). */
export const SAGA_UNKNOWN_OUTPUT: unique symbol = Symbol.for('sagaline:saga:unknown-output');

/** The output a compensation receives: the step's result, or `SAGA_UNKNOWN_OUTPUT`. */
export type StepOutput<T> = T | typeof SAGA_UNKNOWN_OUTPUT;

/** The subset of Inngest's step tools the saga runner uses. */
export interface SagaStepTools {
  run<T>(id: string, fn: () => T | Promise<T>): Promise<T>;
  sleep(id: string, duration: string | number): Promise<void>;
  waitForEvent(
    id: string,
    options: { event: string; timeout: string | number; match?: string; if?: string },
  ): Promise<{ name: string; data: any } | null>;
  sendEvent(id: string, events: SagaEventPayload | SagaEventPayload[]): Promise<{ ids: string[] }>;
}

/** An event the saga sends. */
export interface SagaEventPayload {
  name: string;
  data: Record<string, unknown>;
  id?: string;
}

/** What steps and compensations receive. */
export interface SagaContext<TData = Record<string, any>> {
  /** The saga definition id. */
  sagaId: string;
  /** The Inngest run id, which is also the saga instance id. */
  runId: string;
  /** The business key (for instance the order id), when the saga defines one. */
  businessKey?: string;
  /** The triggering event. */
  event: { name: string; data: TData; id?: string; ts?: number };
  /** Results of the steps completed so far, by step id. */
  results: Record<string, unknown>;
  /** Inngest's logger. */
  logger: Logger;
  /** The attempt of this step (1-based), when running a step or compensation. */
  attempt: number;
}

/**
 * How often a step or compensation is tried, and how long to wait between tries. Each wait is a
 * durable `step.sleep`, normally the doubling backoff. When the failed attempt's error names its
 * own delay, the next try waits that long instead (counted as an attempt, unless an open circuit
 * breaker refused the call: see `maxBreakerWaitMs`):
 * - Inngest's `RetryAfterError` (an open `@sagaline/circuit-breaker` throws one inside Inngest
 *   functions), by its `retryAfter`: whole seconds, or a date;
 * - any error with a numeric `retryAfterMs` of 0 or more, such as a client's error for a `429`
 *   answer that carries the service's `Retry-After`.
 *
 * Such a delay is rounded up to whole seconds (the resolution of Inngest's durable sleeps) and
 * capped by `maxRetryAfterMs`.
 *
 * @example
 * ```ts
 * // a 429 with `Retry-After: 30` waits 30 s; a 503 waits 1 s, 2 s, 4 s, then 5 s
 * @SagaStep('charge', { retry: { attempts: 20, backoffMs: 1_000, maxBackoffMs: 5_000 } })
 * ```
 */
export interface RetryPolicy {
  /** Tries in all (1 = no retry). */
  attempts: number;
  /**
   * Delay before the first retry, in ms; doubles each time. Default 1000. At least 1000: Inngest's
   * durable sleeps have a resolution of one second, so a shorter value is refused at start-up
   * (`SagaConfigError`) rather than silently waiting 1 s; a value that is not whole seconds is
   * rounded up to whole seconds.
   */
  backoffMs?: number;
  /** Cap of the doubling delay, in ms, at least 1000 like `backoffMs`. Default 60000. */
  maxBackoffMs?: number;
  /**
   * Cap of a delay the error asked for (`RetryAfterError`, `retryAfterMs`), in ms, so that a
   * service answering `Retry-After: 31536000` cannot park the saga for a year: a longer request
   * waits this long and tries again. Default 300000 (5 min).
   */
  maxRetryAfterMs?: number;
  /**
   * How long, in all, the step (or compensation) may wait for an open circuit breaker without
   * spending attempts, in ms. A try refused up front (an error with the code `CIRCUIT_OPEN`, as
   * `@sagaline/circuit-breaker` throws) sleeps until the breaker's probe time (each wait capped by
   * `maxRetryAfterMs`) and runs again as the same attempt; once the waits would exceed this, a
   * refusal counts as a failed attempt like any other error. 0 counts every refusal. Default: the
   * saga's `maxBreakerWaitMs`, else 3600000 (1 h).
   */
  maxBreakerWaitMs?: number;
}

/** What a step does. */
export type SagaStepAction<TData> =
  | { kind: 'run'; run: (ctx: SagaContext<TData>) => unknown }
  | {
      kind: 'waitForEvent';
      event: string;
      match?: string;
      if?: string;
      timeout: string;
      /**
       * Maps the event to the step's output. Pure and without I/O: it runs again on every replay,
       * and when a state is rebuilt from run data.
       */
      map?: (ctx: SagaContext<TData>, event: { name: string; data: any }) => unknown;
    }
  | { kind: 'sleep'; duration: string };

/** One step of a saga definition. */
export interface SagaStepDefinition<TData = Record<string, any>> {
  /** Unique within the saga; also the Inngest step id. */
  id: string;
  /** What the step does. */
  action: SagaStepAction<TData>;
  /** Undoes the step; receives the step's output, or `SAGA_UNKNOWN_OUTPUT`. Must be idempotent. */
  compensate?: (ctx: SagaContext<TData>, output: unknown) => unknown;
  /** Retries of the step itself. Default: one attempt plus the saga's `retries`. */
  retry?: RetryPolicy;
  /** Fails the attempt after this many ms (the work may still finish: compensations get `SAGA_UNKNOWN_OUTPUT`). */
  timeoutMs?: number;
  /**
   * Whether a step that failed for good is compensated too (default `true`): a failed call may
   * still have changed the outside world. Set `false` when a failure is known to leave nothing.
   */
  compensateOnFailure?: boolean;
  /** Once this step has completed, later failures are retried forward, never compensated. */
  pivot?: boolean;
  /** Steps with the same group name next to each other run in parallel. */
  group?: string;
  /** Errors for which retrying is pointless (a card decline); they fail the step at once. */
  isPermanent?: (error: unknown) => boolean;
  /** Retries of the compensation and what to do when it still fails. */
  compensation?: CompensationPolicy;
}

/** Retry and failure handling of one compensation. */
export interface CompensationPolicy {
  /** Retries of the compensation. Default 3 attempts. */
  retry?: RetryPolicy;
  /**
   * When it still fails: `continue` runs the remaining compensations and reports; `halt` stops.
   * Either way the saga ends in `compensation_failed`. Default `continue`.
   */
  onFailure?: 'continue' | 'halt';
}

/**
 * Which `saga/*` lifecycle events a saga sends, always as durable `step.sendEvent` steps.
 *
 * - `'failures'` (default): the events of a saga that does not simply complete:
 *   `saga/compensating`, `saga/compensated`, `saga/compensation.failed`, `saga/stalled` and
 *   `saga/stalled.final` (and `saga/cancelled` from the cancellation). A saga that completes sends
 *   none, so it costs no more steps than the same steps written by hand.
 * - `'all'`: also the progress events `saga/started`, `saga/step.completed` and `saga/completed`.
 *   They are batched: one `step.sendEvent` at the end, and one before each wait or retry backoff
 *   that has events queued (a five-step run without waits takes one more step, about 1.2x its
 *   time on the embedded engine; see the package README).
 *
 * To react to any saga's end without them, trigger on `inngest/function.finished`: its
 * `data.result` is the run's {@link SagaOutcome}.
 */
export type SagaLifecycleEvents = 'failures' | 'all';

/** A whole saga: its steps in execution order. */
export interface SagaDefinition<TData = Record<string, any>> {
  /** The saga id (also the Inngest function id when declared with `@Saga`). */
  id: string;
  /** The steps, in order. */
  steps: SagaStepDefinition<TData>[];
  /** Default retries of each step (attempts = retries + 1). Default 3. */
  retries?: number;
  /** Extracts the business key from the event, e.g. `(event) => event.data.orderId`. */
  businessKey?: (event: { data: TData }) => string | undefined;
  /** Which `saga/*` lifecycle events are sent. Default `'failures'`; see {@link SagaLifecycleEvents}. */
  lifecycleEvents?: SagaLifecycleEvents;
  /**
   * Fields added to the data of every `saga/*` event, from the triggering event: say the tenant,
   * so that listeners and audits file the event where the saga's event went.
   */
  lifecycleEventData?: (event: { name: string; data: TData }) => Record<string, unknown>;
  /** After a pivot: how long to wait for an operator's `saga/retry` event before giving up. Default `7d`. */
  operatorTimeout?: string;
  /**
   * Default `RetryPolicy.maxBreakerWaitMs` of every step and compensation: how long each may wait
   * for an open circuit breaker without spending attempts. Default 3600000 (1 h).
   */
  maxBreakerWaitMs?: number;
}

/** How a saga ended. */
export type SagaStatus = 'completed' | 'compensated' | 'compensation_failed' | 'cancelled' | 'stalled';

/** A failure, serialized. */
export interface SagaFailure {
  /** The step (or compensation) that failed. */
  stepId: string;
  /** The error's name. */
  name: string;
  /** The error's message. */
  message: string;
}

/** The typed result of a saga run. */
export interface SagaOutcome {
  /** How it ended. */
  status: SagaStatus;
  /** The saga id. */
  sagaId: string;
  /** The run id. */
  runId: string;
  /** The business key, if any. */
  businessKey?: string;
  /** The steps that completed, in order. */
  completedSteps: string[];
  /** The compensations that ran to completion, in order. */
  compensatedSteps: string[];
  /** Results of the completed steps. */
  results: Record<string, unknown>;
  /** The step failure that started compensation (or stalled the saga). */
  failure?: SagaFailure;
  /** Compensations that failed for good. */
  compensationFailures: SagaFailure[];
}
