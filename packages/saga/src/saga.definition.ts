import { DEFAULT_MAX_RETRY_AFTER_MS } from './retry-delay';
import { SagaConfigError, SagaDefinitionError } from './saga.errors';
import type { RetryPolicy, SagaDefinition } from './saga.types';

/** Step ids the runner derives from a step's own (attempts, retries, compensations, events). */
export const RESERVED_STEP_ID = /#|:retry-|^compensate:|^saga:/;

/** Why a step id matching {@link RESERVED_STEP_ID} is refused, and the fix. */
export const RESERVED_STEP_ID_RULE =
  'looks like an id the saga gives its own steps (a "#", ":retry-", or a "compensate:" or "saga:" prefix); rename the step.';

const LIFECYCLE_EVENTS = ['failures', 'all'];
const runnable = new WeakSet<SagaDefinition<any>>();

/**
 * @internal Refuses a definition the runner cannot run as documented, once per definition object:
 * `@Saga` classes are checked at start-up (with their methods named, see `buildDefinition`), and
 * `runSaga` checks a hand-made definition on its first run.
 *
 * @param owner - how the message names the saga, e.g. `OrderSaga ("order-processing")`.
 */
export function assertRunnable(definition: SagaDefinition<any>, owner = `"${definition.id}"`): void {
  if (runnable.has(definition)) return;
  const fail = (message: string): never => {
    throw new SagaDefinitionError(definition.id, `Saga ${owner}: ${message}`);
  };
  if (definition.steps.length === 0) fail('it has no steps; a saga needs at least one step.');
  const ids = new Set<string>();
  for (const step of definition.steps) {
    if (RESERVED_STEP_ID.test(step.id)) {
      fail(`the step id "${step.id}" ${RESERVED_STEP_ID_RULE}`);
    }
    if (ids.has(step.id)) fail(`step id "${step.id}" is declared twice.`);
    ids.add(step.id);
    assertAttempts(step.retry, `step "${step.id}": retry`, fail);
    assertAttempts(step.compensation?.retry, `the compensation of step "${step.id}": retry`, fail);
    assertRetryCap(step.retry, `step "${step.id}": retry`, fail);
    assertRetryCap(step.compensation?.retry, `the compensation of step "${step.id}": retry`, fail);
    assertDurations(step.retry, `Saga ${owner}: step "${step.id}": retry`);
    assertDurations(step.compensation?.retry, `Saga ${owner}: the compensation of step "${step.id}": retry`);
  }
  const { retries } = definition;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    fail(
      `retries is ${String(retries)}; use a whole number, 0 or more (each step tries retries + 1 times; default 3).`,
    );
  }
  assertBreakerWait(definition.maxBreakerWaitMs, 'maxBreakerWaitMs', `Saga ${owner}: maxBreakerWaitMs`);
  const pivot = definition.steps.findIndex((step) => step.pivot);
  const late = pivot >= 0 ? definition.steps.slice(pivot + 1).find((step) => step.compensate) : undefined;
  if (late) {
    fail(
      `step "${late.id}" comes after the pivot "${definition.steps[pivot]!.id}" and has a compensation; steps after a pivot are retried forward, never compensated.`,
    );
  }
  if (definition.lifecycleEvents !== undefined && !LIFECYCLE_EVENTS.includes(definition.lifecycleEvents)) {
    fail(
      `lifecycleEvents is ${JSON.stringify(definition.lifecycleEvents)}; use 'failures' (the default: the events of a saga that does not complete) or 'all'.`,
    );
  }
  runnable.add(definition);
}

/** Attempts that are not a whole number of 1 or more would retry forever (NaN) or mean 1 (0). */
function assertAttempts(
  policy: RetryPolicy | undefined,
  where: string,
  fail: (message: string) => never,
): void {
  if (!policy) return;
  const { attempts } = policy;
  if (Number.isInteger(attempts) && attempts >= 1) return;
  fail(`${where}.attempts is ${String(attempts)}; use a whole number, 1 or more (1 = no retry).`);
}

/** A cap that is not a finite number of ms would turn a service's `Retry-After` into no wait or a broken sleep. */
function assertRetryCap(
  policy: RetryPolicy | undefined,
  where: string,
  fail: (message: string) => never,
): void {
  const cap = policy?.maxRetryAfterMs;
  if (cap === undefined || (Number.isFinite(cap) && cap >= 0)) return;
  fail(
    `${where}.maxRetryAfterMs is ${String(cap)}; use a number of ms, 0 or more (default ${DEFAULT_MAX_RETRY_AFTER_MS}: 5 min).`,
  );
}

/** Inngest's durable sleeps count whole seconds: a shorter backoff would silently wait 1 s. */
const MIN_BACKOFF_MS = 1_000;

/**
 * Refuses a backoff the durable sleep cannot honour, and a breaker-wait budget that is not a
 * duration, naming the option (`field`) and the fix.
 */
function assertDurations(policy: RetryPolicy | undefined, where: string): void {
  if (!policy) return;
  for (const field of ['backoffMs', 'maxBackoffMs'] as const) {
    const value = policy[field];
    if (value === undefined || (Number.isFinite(value) && value >= MIN_BACKOFF_MS)) continue;
    throw new SagaConfigError(
      `retry.${field}`,
      `${where}.${field} is ${String(value)}; use 1000 ms or more: Inngest's durable sleeps have a resolution of one second, so a shorter wait would silently last 1 s.`,
    );
  }
  assertBreakerWait(policy.maxBreakerWaitMs, 'retry.maxBreakerWaitMs', `${where}.maxBreakerWaitMs`);
}

function assertBreakerWait(value: number | undefined, field: string, where: string): void {
  if (value === undefined || (Number.isFinite(value) && value >= 0)) return;
  throw new SagaConfigError(
    field,
    `${where} is ${String(value)}; use a number of ms, 0 or more (0 counts every refusal of an open breaker as an attempt; default 3600000: 1 h).`,
  );
}
