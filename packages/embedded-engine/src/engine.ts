import { ulid } from 'ulidx';
import { retryAfterDelay, retryDelay } from './backoff';
import { type Clock, systemClock } from './clock';
import {
  AppSyncError,
  EngineConfigurationError,
  EngineStoppedError,
  EventRejectedError,
  UnsupportedFeatureError,
  WaitForRunTimeoutError,
} from './engine.errors';
import { type EmbeddedEngineOptions, type EngineLogger, quietLogger } from './engine.options';
import type {
  EngineEvent,
  PendingWork,
  RegisteredFunction,
  RegisteredTrigger,
  RunRecord,
  RunStatus,
  SerializedError,
} from './engine.types';
import { celMatches, celValue, eventNameMatches } from './expressions';
import { AppClient } from './http/app-client';
import { type EngineHttpServer, startEngineServer } from './http/engine-server';
import { ConcurrencyLimiter } from './runs/concurrency-limiter';
import { nextCronRun } from './runs/cron';
import {
  FlowControl,
  type FlowKeys,
  rememberedWindowMs,
  scopedKey,
  usesRememberedKeys,
} from './runs/flow-control';
import { performGatewayRequest } from './runs/gateway';
import { GroupCommit, type StoredChange } from './runs/group-commit';
import {
  assembleRun,
  deadlineKey,
  isKnownStep,
  memoize,
  stepsOf,
  toSerializedError,
  workKey,
} from './runs/run-state';
import { RunWatchers } from './runs/run-watchers';
import { Scheduler } from './runs/scheduler';
import { findUnsupportedFeature } from './runs/supported-features';
import { generateEventKey, generateSigningKey, signRequestBody } from './security/keys';
import { MemoryRunStore } from './store/memory-run-store';
import {
  type RegisteredApp,
  type RunFilter,
  type RunHead,
  type RunStore,
  runMatches,
} from './store/run-store';
import { parseDuration, sleepDueAt } from './time';

/** What `waitForRun` waits for: a run matching the filter, by default in a final state. */
export interface WaitForRunFilter extends RunFilter {
  /** A specific run. */
  runId?: string;
}

/** An event as sent to the engine: a name and payload, the rest optional. */
export interface EngineEventInput {
  /** The event name. */
  name: string;
  /** The payload. */
  data?: Record<string, unknown>;
  /** A deduplication id; a ULID when unset. */
  id?: string;
  /** The event time in ms; now when unset. */
  ts?: number;
  /** The payload's schema version. */
  v?: string;
}

interface Op {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  opts?: Record<string, any>;
  data?: unknown;
  error?: SerializedError;
}

const FINAL_STATUSES: RunStatus[] = ['completed', 'failed', 'cancelled'];
const LIFECYCLE_TRIGGERS = new Set(['inngest/function.failed', 'inngest/function.finished']);
/** The server's limits (pkg/consts): an event's payload, events per request, a step's output. */
const MAX_EVENT_BYTES = 512 * 1024;
const MAX_EVENTS_PER_REQUEST = 5_000;
const MAX_STEP_OUTPUT_BYTES = 4 * 1024 * 1024;
/** The server deduplicates an event id for 24 hours. */
const EVENT_DEDUPE_MS = 24 * 3_600_000;
/** The server's expiry of an invoke given no timeout (`InvokeFunctionOpts.Expires`): a year. */
const INVOKE_DEFAULT_TIMEOUT_MS = 365 * 86_400_000;
const DEFAULT_RETRIES = 4;

/**
 * An Inngest executor inside the Node process. It serves Inngest's event, registration and
 * checkpoint APIs on a loopback port and calls the app's real serve endpoint with real Call
 * Requests, so the code that runs in production runs locally and in tests, with no Inngest server.
 *
 * @example
 * ```ts
 * const engine = await EmbeddedEngine.start({ retryBackoffScale: 0.001 });
 * // cloud mode: the SDK verifies the engine's signature on every Call Request
 * const inngest = new Inngest({
 *   id: 'shop',
 *   isDev: false,
 *   baseUrl: engine.baseUrl,
 *   signingKey: engine.signingKey,
 *   eventKey: engine.eventKey,
 * });
 * // serve the functions (with `serveOrigin: 'http://127.0.0.1:3000'`), then:
 * await engine.syncApp('http://127.0.0.1:3000/api/inngest');
 * await inngest.send({ name: 'order/created', data: { orderId: 'o-1' } });
 * const run = await engine.waitForRun({ functionId: 'price-order', status: 'completed' });
 * ```
 */
export class EmbeddedEngine {
  private readonly store: RunStore;
  private readonly clock: Clock;
  private readonly logger: EngineLogger;
  private readonly backoffScale: number;
  private readonly checkpointing: boolean;
  private readonly scheduler: Scheduler;
  private readonly limiter = new ConcurrencyLimiter();
  private readonly active = new Map<string, RunRecord>();
  private readonly commits: GroupCommit;
  private readonly accepting = new Map<string, Promise<void>>();
  /** The internal id each event got when it was accepted, until its runs are created. */
  private readonly internalIds = new WeakMap<EngineEvent, string>();
  private readonly watchers = new RunWatchers();
  private readonly inFlight = new Set<AbortController>();
  private readonly appClient = new AppClient();
  private readonly synced: Promise<void>;
  private markSynced!: () => void;
  private functions = new Map<string, RegisteredFunction>();
  private app?: RegisteredApp;
  private syncingUrl?: string;
  private server?: EngineHttpServer;
  private refused: UnsupportedFeatureError[] = [];
  private readonly flow = new FlowControl();
  private closed = false;
  private closing?: Promise<void>;

  /** The key that signs every Call Request; the SDK's calls to the engine carry its hash. */
  readonly signingKey: string;
  /** The key the event API requires: `POST /e/<eventKey>`. */
  readonly eventKey: string;

  private constructor(private readonly options: EmbeddedEngineOptions) {
    validateOptions(options);
    this.store = options.store ?? new MemoryRunStore();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? quietLogger;
    this.backoffScale = options.retryBackoffScale ?? 1;
    this.checkpointing = options.checkpointing ?? true;
    this.scheduler = new Scheduler(this.clock);
    this.signingKey = options.signingKey ?? generateSigningKey();
    this.eventKey = options.eventKey ?? generateEventKey();
    this.commits = new GroupCommit(
      this.store,
      this.logger,
      (changes) => this.notifyStored(changes),
      () => this.clock.now(),
    );
    // Resumed and new runs call the app only once it has synced in this process: before that, the
    // stored serve URL is the previous process's.
    this.synced = new Promise<void>((resolve) => {
      this.markSynced = resolve;
    });
  }

  /** Starts an engine: prepares its store, listens, and resumes every run the store left pending. */
  static async start(options: EmbeddedEngineOptions = {}): Promise<EmbeddedEngine> {
    const engine = new EmbeddedEngine(options);
    await engine.boot();
    return engine;
  }

  /** The URL to give the Inngest client as `baseUrl`. */
  get baseUrl(): string {
    if (!this.server) throw new Error('The engine is not started.');
    return this.server.url;
  }

  /**
   * A `fetch` for an Inngest client in this process (its `fetch` option): requests to `baseUrl`
   * (events, checkpoints, registration) are served in-process, through the same routes and the
   * same key checks as over HTTP, without a loopback round trip; any other request goes to the
   * global `fetch`. Call Requests still reach the app's serve endpoint over HTTP.
   */
  get fetch(): typeof fetch {
    if (!this.server) throw new Error('The engine is not started.');
    return this.server.fetch;
  }

  /** The functions the app registered at its last sync (those the engine runs). */
  get registeredFunctions(): RegisteredFunction[] {
    return [...this.functions.values()];
  }

  /**
   * The functions refused at the last sync, each with the feature it uses that the engine does not
   * run. The rest of the app synced and runs; these functions start no runs.
   */
  get refusedFunctions(): UnsupportedFeatureError[] {
    return [...this.refused];
  }

  private async boot(): Promise<void> {
    try {
      await this.store.acquireLease({
        waitMs: this.options.leaseWaitMs ?? 10_000,
        onLost: (error) => this.halt(`it lost its store lease: ${error.message}`),
      });
      await this.store.init();
      this.server = await startEngineServer(this, {
        port: this.options.port,
        host: this.options.host,
        signingKey: this.signingKey,
        eventKey: this.eventKey,
        inspection: this.options.inspection,
        redact: this.options.redact,
      });
      const app = await this.store.loadApp();
      if (app) this.useApp(app);
      for (const run of await this.store.listRuns({ status: 'running' })) {
        this.active.set(run.id, run);
        for (const work of run.pending) this.schedule(run, work);
        this.scheduleDeadline(run);
      }
      for (const fn of this.functions.values()) {
        if (!usesRememberedKeys(fn)) continue;
        // Runs older than the function's windows decide nothing any more, except those still
        // waiting to start (a throttle's queue), which are active.
        const since = this.clock.now() - rememberedWindowMs(fn);
        for (const run of await this.store.listRuns({ functionId: fn.id, createdSince: since })) {
          this.flow.remember(run);
        }
        for (const run of this.active.values()) {
          if (run.functionId === fn.id && run.createdAt < since) this.flow.remember(run);
        }
      }
    } catch (error) {
      await this.server?.close();
      await this.store.close();
      throw error;
    }
    if (this.active.size > 0) this.logger.log(`Resumed ${this.active.size} pending runs`);
  }

  /**
   * Asks the app at `serveUrl` to sync, as an Inngest server does: a `PUT` that makes the SDK
   * register its functions here. Resolves once they are stored; rejects with `AppSyncError`. A
   * function the engine cannot run is refused alone (see `refusedFunctions`). Only a registration for this very URL is taken,
   * and every Call Request goes to it: a request's `Host` header can never redirect them.
   */
  async syncApp(serveUrl: string): Promise<void> {
    this.syncingUrl = serveUrl;
    let response: Response;
    try {
      response = await fetch(serveUrl, { method: 'PUT' });
    } catch (error) {
      throw new AppSyncError(serveUrl, (error as Error).message);
    } finally {
      this.syncingUrl = undefined;
    }
    const text = await response.text();
    if (!response.ok) throw new AppSyncError(serveUrl, `the app answered ${response.status} ${text}`);
    if (this.app?.url !== serveUrl) {
      throw new AppSyncError(serveUrl, 'the app answered the sync but never registered its functions');
    }
    this.markSynced();
  }

  /** @internal Handles `POST /fn/register` from the SDK (the server has checked its key). */
  async register(body: { appName: string; url: string; functions: RegisteredFunction[] }): Promise<unknown> {
    const expected = this.syncingUrl ?? this.app?.url;
    if (!expected || !sameServeUrl(body.url, expected)) {
      const message = `Refused a registration for ${body.url}: the engine syncs only ${expected ?? 'the URL given to syncApp()'}.`;
      this.logger.warn(message);
      return { status: 400, error: message, skipped: true, modified: false };
    }
    const accepted: RegisteredFunction[] = [];
    const refused: UnsupportedFeatureError[] = [];
    for (const fn of body.functions ?? []) {
      const feature = findUnsupportedFeature(fn);
      if (feature) refused.push(new UnsupportedFeatureError(fn.id, feature));
      else accepted.push(fn);
    }
    this.refused = refused;
    for (const refusal of refused) this.logger.error(refusal.message);
    const app: RegisteredApp = { appId: body.appName, url: expected, functions: accepted };
    await this.store.saveApp(app);
    this.useApp(app);
    this.logger.log(`App "${app.appId}" synced with ${app.functions.length} functions`);
    return { ok: true, modified: true, app_id: app.appId };
  }

  private useApp(app: RegisteredApp): void {
    this.app = app;
    this.functions = new Map(app.functions.map((fn) => [fn.id, fn]));
    for (const fn of app.functions) {
      for (const trigger of fn.triggers) {
        if (trigger.cron) this.scheduleCron(fn, { ...trigger, cron: trigger.cron });
      }
    }
  }

  private scheduleCron(fn: RegisteredFunction, trigger: RegisteredTrigger & { cron: string }): void {
    const { cron } = trigger;
    const firesAt = nextCronRun(cron, this.clock.now());
    // `jitter` delays each firing by up to its duration, spreading load as on the server.
    const jitter = parseDuration(trigger.jitter) ?? 0;
    const dueAt = firesAt + Math.floor(Math.random() * jitter);
    this.scheduler.at(`cron:${fn.id}:${cron}`, dueAt, () => {
      if (this.closed || this.functions.get(fn.id) !== fn) return;
      const event: EngineEvent = { id: ulid(), name: 'inngest/scheduled.timer', data: { cron }, ts: firesAt };
      this.commits.addEvent(event);
      this.trigger(fn, event);
      this.scheduleCron(fn, trigger);
    });
  }

  /**
   * Sends events straight to the engine, as `inngest.send()` would; resolves with the internal id
   * of each (as the server answers), which `listRuns({ eventId })` and `waitForRun` accept as well
   * as the event's own id.
   */
  async send(events: EngineEventInput | EngineEventInput[]): Promise<{ ids: string[] }> {
    const inputs = Array.isArray(events) ? events : [events];
    // As the event API would receive them: a caller changing its objects later changes no run.
    return { ids: await this.ingest(JSON.parse(JSON.stringify(inputs))) };
  }

  /**
   * @internal Handles `POST /e/:key`: accepts each event once (resuming waits, cancelling,
   * starting runs) and resolves only once the events and every run they changed are stored, in
   * one transaction. An id seen before, stored or still being stored, triggers nothing.
   */
  async ingest(inputs: EngineEventInput[]): Promise<string[]> {
    checkEventLimits(inputs);
    // Each accepted event gets its own internal id, as on the server: the caller's `id` is for
    // deduplication, the internal id names this one acceptance (a repeat gets a new one).
    const internalIds = inputs.map(() => ulid());
    const events = inputs.map((input, index): EngineEvent => {
      const event: EngineEvent = {
        id: input.id || internalIds[index],
        name: input.name,
        data: input.data ?? {},
        ts: input.ts ?? this.clock.now(),
        ...(input.v ? { v: input.v } : {}),
      };
      this.internalIds.set(event, internalIds[index]);
      return event;
    });
    const mine = new Map<string, EngineEvent>();
    const others = new Set<Promise<void>>();
    for (const event of events) {
      const elsewhere = this.accepting.get(event.id);
      if (elsewhere) others.add(elsewhere);
      else if (!mine.has(event.id)) mine.set(event.id, event);
    }
    // An id the engine just made cannot have been seen: only the sender's ids are looked up.
    const given = new Set(inputs.flatMap((input) => (input.id ? [input.id] : [])));
    const accepted = this.acceptNew([...mine.values()], given);
    for (const id of mine.keys()) this.accepting.set(id, accepted);
    try {
      // A duplicate of an event still being stored is answered once that one is stored.
      await Promise.all([accepted, ...others]);
    } finally {
      for (const id of mine.keys()) if (this.accepting.get(id) === accepted) this.accepting.delete(id);
    }
    return internalIds;
  }

  private async acceptNew(events: EngineEvent[], given: ReadonlySet<string>): Promise<void> {
    // The lease makes this engine the store's only writer, so the store and `accepting` together
    // know every id.
    const toCheck = events.filter((event) => given.has(event.id)).map((event) => event.id);
    const known =
      toCheck.length > 0
        ? await this.store.knownEvents(toCheck, this.clock.now() - EVENT_DEDUPE_MS)
        : new Set<string>();
    for (const event of events) {
      // A repeated id starts nothing, but still resumes waits and cancels runs, as on the server.
      if (known.has(event.id)) this.deliver(event, { triggers: false });
      else this.accept(event);
    }
    await this.commits.durable();
  }

  /** Takes an event in: it is stored with the runs it changes, in the same transaction. */
  private accept(event: EngineEvent): void {
    if (this.closed) throw new EngineStoppedError('it is closed');
    this.commits.addEvent(event);
    this.deliver(event);
  }

  private deliver(event: EngineEvent, { triggers } = { triggers: true }): void {
    for (const run of [...this.active.values()]) {
      for (const work of run.pending) {
        if (work.kind !== 'wait' || !eventNameMatches(work.event, event.name)) continue;
        if (work.if && !celMatches(work.if, { event: run.event, async: event })) continue;
        this.resolveOp(run, work.opId, event, { kind: 'waitForEvent', output: event });
      }
      const cancelRules = this.functions.get(run.functionId)?.cancel ?? [];
      const cancelled = cancelRules.some(
        (rule) =>
          eventNameMatches(rule.event, event.name) &&
          (!rule.if || celMatches(rule.if, { event: run.event, async: event })) &&
          // A rule's `timeout` bounds how long after the run started it may cancel it.
          (!rule.timeout || this.clock.now() <= run.createdAt + (parseDuration(rule.timeout) ?? 0)),
      );
      if (cancelled && run.status === 'running') this.finish(run, 'cancelled', { cancelledBy: event.id });
    }
    if (!triggers) return;
    for (const fn of this.functions.values()) {
      const triggered = fn.triggers.some(
        (trigger) =>
          trigger.event &&
          eventNameMatches(trigger.event, event.name) &&
          (!trigger.expression || celMatches(trigger.expression, { event })),
      );
      if (triggered) this.trigger(fn, event);
    }
  }

  /** Starts a run of `fn` for `event` unless its idempotency, rate limit or singleton says no. */
  private trigger(fn: RegisteredFunction, event: EngineEvent): void {
    const now = this.clock.now();
    // Only singletons, debounces and batches look at the function's runs in progress: the rest of
    // the event path must not cost a scan of every active run.
    const needsRunning =
      fn.singleton !== undefined || fn.debounce !== undefined || fn.batchEvents !== undefined;
    const running = needsRunning ? [...this.active.values()].filter((run) => run.functionId === fn.id) : [];
    const debounce = fn.debounce as { period: string; key?: string; timeout?: string } | undefined;
    const debounceKey = debounce ? scopedKey(fn, debounce.key, event) : undefined;
    const batch = this.batchOf(fn, event);
    if (debounce && debounceKey && this.joinDebounced(debounce, debounceKey, event, running, now)) return;
    if (batch && this.joinBatch(batch, event, running, now)) return;
    const admission = this.flow.admit(fn, event, now, running);
    if (!admission.admitted) {
      this.logger.debug?.(`Event ${event.id} starts no run of ${fn.id}: its ${admission.reason} says no`);
      return;
    }
    for (const holder of admission.replaces) this.finish(holder, 'cancelled', { cancelledBy: event.id });
    const keys: FlowKeys = { ...admission.keys };
    // An event dated in the future starts its runs at that time, as on the server.
    let firstCallAt = Math.max(now, event.ts);
    if (debounce) {
      keys.debounce = debounceKey;
      firstCallAt = now + (parseDuration(debounce.period) ?? 0);
    }
    if (batch) {
      keys.batch = batch.key;
      firstCallAt = now + batch.timeout;
    }
    const throttled = this.flow.throttleStart(fn, event, firstCallAt);
    if (throttled) {
      keys.throttle = throttled.key;
      firstCallAt = throttled.at;
    }
    this.flow.remember(this.startRun(fn, event, undefined, keys, firstCallAt));
  }

  /**
   * Debounce: an event for a key whose run has not started yet replaces that run's event and
   * pushes its start `period` further, up to `timeout` after the first event; the run then sees
   * the last event, as on the server.
   */
  private joinDebounced(
    debounce: { period: string; timeout?: string },
    key: string,
    event: EngineEvent,
    running: RunRecord[],
    now: number,
  ): boolean {
    const waiting = running.find((run) => run.flow?.debounce === key && !run.startedAt);
    if (!waiting) return false;
    const latest = waiting.createdAt + (parseDuration(debounce.timeout) ?? Number.POSITIVE_INFINITY);
    waiting.event = event;
    waiting.events = [event];
    const internalId = this.internalIds.get(event);
    if (internalId) waiting.eventInternalId = internalId;
    this.postponeStart(waiting, Math.min(now + (parseDuration(debounce.period) ?? 0), latest));
    return true;
  }

  /** Batching: an event for a key whose batch is still open joins it; a full batch starts now. */
  private joinBatch(
    batch: { key: string; maxSize: number },
    event: EngineEvent,
    running: RunRecord[],
    now: number,
  ): boolean {
    const open = running.find(
      (run) => run.flow?.batch === batch.key && !run.startedAt && run.events.length < batch.maxSize,
    );
    if (!open) return false;
    open.events.push(event);
    if (open.events.length >= batch.maxSize) this.postponeStart(open, now);
    else this.commits.markRun(open);
    return true;
  }

  /** How `fn` batches `event`, if it does: events its `if` refuses run alone. */
  private batchOf(fn: RegisteredFunction, event: EngineEvent) {
    const batch = fn.batchEvents as
      | { maxSize: number; timeout: string; key?: string; if?: string }
      | undefined;
    if (!batch || batch.maxSize <= 1 || (batch.if && !celMatches(batch.if, { event }))) return undefined;
    return {
      key: scopedKey(fn, batch.key, event),
      maxSize: batch.maxSize,
      timeout: parseDuration(batch.timeout) ?? 0,
    };
  }

  /** Moves a run's first Call Request, which has not gone out yet, to `at`. */
  private postponeStart(run: RunRecord, at: number): void {
    const first = run.pending.find((work) => work.kind === 'call' && work.stepId === 'step');
    if (first) {
      this.removeWork(run, first);
      this.addWork(run, { ...first, dueAt: at });
    }
    run.scheduledAt = at;
    this.commits.markRun(run);
  }

  /**
   * Makes a `step.fetch` request for the run, as the server does, once the run's state saying so is
   * stored; the response (or the network error) is the step's result.
   */
  private async fetchFor(run: RunRecord, work: Extract<PendingWork, { kind: 'fetch' }>): Promise<void> {
    const abort = new AbortController();
    this.inFlight.add(abort);
    let memo: unknown;
    let entry: { kind: string; output?: unknown; error?: SerializedError };
    try {
      if (this.commits.hasUnstored(run)) await this.commits.durable();
      if (this.closed || !run.pending.includes(work)) return;
      const response = await performGatewayRequest(work.request, abort.signal);
      memo = { data: response };
      entry = { kind: 'fetch', output: response };
    } catch (error) {
      if (this.closed || error instanceof EngineStoppedError) return;
      const failure = {
        name: 'FetchError',
        message: `step.fetch to ${work.request.url} failed: ${(error as Error).message}`,
      };
      memo = { error: failure };
      entry = { kind: 'fetch', error: failure };
    } finally {
      this.inFlight.delete(abort);
    }
    if (run.status === 'running') this.resolveOp(run, work.opId, memo, entry);
  }

  /** Fails the run if a step returned more than the server stores (4 MiB), with the server's words. */
  private refuseLargeOutput(run: RunRecord, step: string, output: unknown): boolean {
    const size = Buffer.byteLength(JSON.stringify(output ?? null));
    if (size <= MAX_STEP_OUTPUT_BYTES) return false;
    this.finish(run, 'failed', {
      error: {
        name: 'StepOutputTooLargeError',
        message: `step output size is greater than the limit: step "${step}" returned ${size} bytes, at most ${MAX_STEP_OUTPUT_BYTES} are stored. Return less (store large data elsewhere and return a reference).`,
      },
    });
    return true;
  }

  /** The run's first request is going out: `timeouts.start` is met and `timeouts.finish` begins. */
  private markStarted(run: RunRecord, fn: RegisteredFunction): void {
    run.startedAt = this.clock.now();
    const finishWithin = parseDuration((fn.timeouts as { finish?: string } | undefined)?.finish);
    if (finishWithin !== undefined) run.deadline = { phase: 'finish', at: run.startedAt + finishWithin };
    else delete run.deadline;
    this.scheduler.cancel(deadlineKey(run));
    this.scheduleDeadline(run);
    this.commits.markRun(run);
  }

  /** Cancels a run that has not started, or not finished, within its function's `timeouts`. */
  private scheduleDeadline(run: RunRecord): void {
    const deadline = run.deadline;
    if (!deadline) return;
    this.scheduler.at(deadlineKey(run), deadline.at, () => {
      if (this.closed || run.status !== 'running' || run.deadline !== deadline) return;
      this.finish(run, 'cancelled', {
        error: {
          name: 'InngestFunctionTimeoutError',
          message: `The run did not ${deadline.phase} within its function's timeouts.${deadline.phase}.`,
        },
      });
    });
  }

  private startRun(
    fn: RegisteredFunction,
    event: EngineEvent,
    invokedBy?: RunRecord['invokedBy'],
    flow: FlowKeys = {},
    firstCallAt = this.clock.now(),
  ): RunRecord {
    const run: RunRecord = {
      id: ulid(),
      functionId: fn.id,
      event,
      events: [event],
      status: 'running',
      createdAt: this.clock.now(),
      steps: {},
      stack: [],
      timeline: [],
      pending: [],
      forcePlan: false,
      ...(this.internalIds.has(event) ? { eventInternalId: this.internalIds.get(event) } : {}),
      ...(invokedBy ? { invokedBy } : {}),
      ...(Object.keys(flow).length > 0 ? { flow } : {}),
    };
    const timeouts = fn.timeouts as { start?: string; finish?: string } | undefined;
    const startWithin = parseDuration(timeouts?.start);
    if (startWithin !== undefined) run.deadline = { phase: 'start', at: run.createdAt + startWithin };
    this.scheduleDeadline(run);
    if (firstCallAt > run.createdAt) run.scheduledAt = firstCallAt;
    this.active.set(run.id, run);
    this.addWork(run, { kind: 'call', stepId: 'step', attempt: 0, dueAt: firstCallAt });
    this.commits.markRun(run);
    return run;
  }

  private addWork(run: RunRecord, work: PendingWork): void {
    run.pending.push(work);
    this.schedule(run, work);
  }

  private schedule(run: RunRecord, work: PendingWork): void {
    this.scheduler.at(workKey(run, work), work.dueAt, () => {
      if (this.closed || run.status !== 'running' || !run.pending.includes(work)) return;
      if (work.kind === 'call') void this.call(run, work);
      else if (work.kind === 'sleep') this.resolveOp(run, work.opId, null, { kind: 'sleep', output: null });
      else if (work.kind === 'wait')
        this.resolveOp(run, work.opId, null, { kind: 'waitForEvent', output: null });
      else if (work.kind === 'fetch') void this.fetchFor(run, work);
      else
        this.resolveOp(
          run,
          work.opId,
          { error: invokeTimeoutError() },
          { kind: 'invoke', error: invokeTimeoutError() },
        );
    });
  }

  private removeWork(run: RunRecord, work: PendingWork): void {
    run.pending = run.pending.filter((pending) => pending !== work);
    this.scheduler.cancel(workKey(run, work));
  }

  /** Stores the outcome of a sleep, wait or invoke, and moves the run on. */
  private resolveOp(
    run: RunRecord,
    opId: string,
    memo: unknown,
    entry: { kind: string; output?: unknown; error?: SerializedError },
  ): void {
    const work = run.pending.find((pending) => pending.kind !== 'call' && pending.opId === opId);
    if (!work || work.kind === 'call') return;
    this.removeWork(run, work);
    const startedAt = work.kind === 'sleep' ? work.dueAt : this.clock.now();
    memoize(run, opId, memo, { name: work.name, attempts: 1, startedAt, ...entry }, this.clock.now());
    this.continueRun(run);
    this.commits.markRun(run);
  }

  /** Once nothing is pending, the SDK is asked what comes next (discovery). */
  private continueRun(run: RunRecord, raceBranchEnded = false): void {
    if (run.status !== 'running') return;
    if (run.pending.length > 0) {
      // A race goes on as soon as one branch ends (the server's ParallelModeRace); the other
      // branches keep running.
      const discovering = run.pending.some((work) => work.kind === 'call' && work.stepId === 'step');
      if (!raceBranchEnded || discovering) return;
    } else {
      run.forcePlan = false;
    }
    this.addWork(run, { kind: 'call', stepId: 'step', attempt: 0, dueAt: this.clock.now() });
  }

  private async call(run: RunRecord, work: Extract<PendingWork, { kind: 'call' }>): Promise<void> {
    const fn = this.functions.get(run.functionId);
    if (!fn) {
      this.finish(run, 'failed', {
        error: {
          name: 'FunctionNotFoundError',
          message: `Function "${run.functionId}" is not registered: sync the app.`,
        },
      });
      return;
    }
    await this.synced;
    const release = await this.limiter.acquire(
      [
        ...this.concurrencyKeys(fn, run),
        { key: IN_FLIGHT_KEY, limit: this.options.maxCallsInFlight ?? DEFAULT_MAX_CALLS_IN_FLIGHT },
      ],
      this.priorityOf(fn, run),
    );
    const abort = new AbortController();
    this.inFlight.add(abort);
    const maxAttempts = (fn.steps.step.retries?.attempts ?? DEFAULT_RETRIES) + 1;
    let status: number;
    let headers: Headers;
    let body: unknown;
    try {
      if (!run.startedAt) this.markStarted(run, fn);
      // The app acts on what the request carries, so the run's state must be stored first.
      if (this.commits.hasUnstored(run)) await this.commits.durable();
      if (this.closed || run.status !== 'running' || !run.pending.includes(work)) return;
      work.startedAt ??= this.clock.now();
      const url = new URL(this.app!.url);
      url.searchParams.set('fnId', fn.id);
      url.searchParams.set('stepId', work.stepId);
      const request = this.callRequest(run, work, maxAttempts);
      const response = await this.appClient.post(
        url,
        {
          'content-type': 'application/json',
          'x-run-id': run.id,
          'x-inngest-signature': signRequestBody(request, this.signingKey),
        },
        JSON.stringify(request),
        abort.signal,
      );
      status = response.status;
      headers = response.headers;
      body = response.text === '' ? null : safeJson(response.text);
    } catch (error) {
      if (this.closed) return; // the request is still pending in the store: a restarted engine resends it
      if (error instanceof EngineStoppedError) return;
      status = 0;
      headers = new Headers();
      body = { name: 'FetchError', message: `The app did not answer: ${(error as Error).message}` };
    } finally {
      this.inFlight.delete(abort);
      release();
    }
    if (this.closed || run.status !== 'running' || !run.pending.includes(work)) return;
    this.handleResponse(run, work, { status, headers, body, maxAttempts });
    this.commits.markRun(run);
  }

  private callRequest(run: RunRecord, work: Extract<PendingWork, { kind: 'call' }>, maxAttempts: number) {
    const checkpoint = this.checkpointing && work.stepId === 'step' && !run.forcePlan;
    return {
      event: run.event,
      events: run.events,
      steps: run.steps,
      ctx: {
        run_id: run.id,
        attempt: work.attempt,
        max_attempts: maxAttempts,
        disable_immediate_execution: run.forcePlan,
        use_api: false,
        env: 'embedded',
        stack: { stack: run.stack, current: run.stack.length },
        ...(checkpoint ? { fn_id: run.functionId, qi_id: `${run.id}:${work.attempt}` } : {}),
      },
      version: 2,
    };
  }

  private handleResponse(
    run: RunRecord,
    work: Extract<PendingWork, { kind: 'call' }>,
    response: { status: number; headers: Headers; body: unknown; maxAttempts: number },
  ): void {
    this.removeWork(run, work);
    const { status, headers, body, maxAttempts } = response;
    if (status === 200) {
      this.finish(run, 'completed', { output: body });
      return;
    }
    if (status === 206 && Array.isArray(body)) {
      for (const op of body as Op[]) {
        this.applyOp(run, work, op, headers, maxAttempts);
        if (run.status !== 'running') return;
      }
      this.continueRun(run, work.race === true && work.stepId in run.steps);
      return;
    }
    const noRetry = headers.get('x-inngest-no-retry') === 'true' || (status >= 400 && status < 500);
    if (!noRetry && work.attempt + 1 < maxAttempts) {
      this.retry(run, work, headers);
      return;
    }
    this.finish(run, 'failed', { error: toSerializedError(body, `The app answered ${status}`) });
  }

  private retry(run: RunRecord, work: Extract<PendingWork, { kind: 'call' }>, headers: Headers): void {
    const delay =
      retryAfterDelay(headers.get('retry-after'), this.clock.now()) ??
      retryDelay(work.attempt, this.backoffScale);
    this.addWork(run, { ...work, attempt: work.attempt + 1, dueAt: this.clock.now() + delay });
  }

  private applyOp(
    run: RunRecord,
    work: Extract<PendingWork, { kind: 'call' }>,
    op: Op,
    headers: Headers,
    maxAttempts: number,
  ): void {
    const now = this.clock.now();
    const name = op.displayName ?? op.name ?? op.id;
    const startedAt = work.startedAt ?? now;
    switch (op.op) {
      case 'StepRun':
        if (this.refuseLargeOutput(run, name, op.data)) return;
        memoize(
          run,
          op.id,
          { data: op.data ?? null },
          { name, kind: 'run', attempts: work.attempt + 1, startedAt, output: op.data },
          now,
        );
        return;
      case 'StepFailed':
        memoize(
          run,
          op.id,
          { error: op.error },
          { name, kind: 'run', attempts: work.attempt + 1, startedAt, error: op.error },
          now,
        );
        return;
      case 'StepError':
        if (headers.get('x-inngest-no-retry') !== 'true' && work.attempt + 1 < maxAttempts)
          this.retry(run, work, headers);
        else
          memoize(
            run,
            op.id,
            { error: op.error },
            { name, kind: 'run', attempts: work.attempt + 1, startedAt, error: op.error },
            now,
          );
        return;
      case 'StepPlanned':
        if (isKnownStep(run, op.id)) return;
        run.forcePlan = true;
        this.addWork(run, {
          kind: 'call',
          stepId: op.id,
          attempt: 0,
          dueAt: now,
          name,
          ...(op.opts?.parallelMode === 'race' ? { race: true } : {}),
        });
        return;
      case 'Sleep':
        if (isKnownStep(run, op.id)) return;
        this.addWork(run, {
          kind: 'sleep',
          opId: op.id,
          name: op.displayName ?? op.id,
          dueAt: sleepDueAt(op.name ?? '', now),
        });
        return;
      case 'WaitForEvent': {
        if (isKnownStep(run, op.id)) return;
        // A timeout the SDK could not express arrives as "": the server's parser makes that zero, so
        // the wait expires at once rather than never.
        const timeout = parseDuration(op.opts?.timeout) ?? 0;
        this.addWork(run, {
          kind: 'wait',
          opId: op.id,
          name: op.displayName ?? op.id,
          event: op.name ?? op.opts?.event,
          ...(op.opts?.if ? { if: op.opts.if } : {}),
          dueAt: now + timeout,
        });
        return;
      }
      case 'InvokeFunction':
        if (!isKnownStep(run, op.id)) this.invoke(run, op, name);
        return;
      case 'Gateway':
        if (isKnownStep(run, op.id)) return;
        this.addWork(run, {
          kind: 'fetch',
          opId: op.id,
          name,
          dueAt: now,
          request: {
            url: String(op.opts?.url),
            method: String(op.opts?.method ?? 'GET'),
            headers: (op.opts?.headers ?? {}) as Record<string, string>,
            ...(typeof op.opts?.body === 'string' ? { body: op.opts.body } : {}),
          },
        });
        return;
      case 'RunComplete':
        this.finish(run, 'completed', { output: op.data });
        return;
      default:
        this.finish(run, 'failed', {
          error: {
            name: 'UnsupportedStepError',
            message: `Step "${name}" uses the ${op.op} operation, which the embedded engine does not run.`,
          },
        });
    }
  }

  private invoke(run: RunRecord, op: Op, name: string): void {
    const target = this.functions.get(op.opts?.function_id);
    const now = this.clock.now();
    if (!target) {
      const error = {
        name: 'Error',
        message: `Invoked function "${op.opts?.function_id}" is not registered.`,
      };
      memoize(run, op.id, { error }, { name, kind: 'invoke', attempts: 1, startedAt: now, error }, now);
      return;
    }
    const event: EngineEvent = {
      id: ulid(),
      name: 'inngest/function.invoked',
      data: { ...(op.opts?.payload?.data ?? {}) },
      ts: now,
    };
    const timeout = parseDuration(op.opts?.timeout) ?? INVOKE_DEFAULT_TIMEOUT_MS;
    const child = this.startRun(target, event, { runId: run.id, opId: op.id });
    this.addWork(run, { kind: 'invoke', opId: op.id, name, childRunId: child.id, dueAt: now + timeout });
  }

  /**
   * @internal Handles `POST /v1/checkpoint/:runId/async`: stores steps the SDK ran in-request, and
   * resolves once they are stored.
   */
  async checkpoint(runId: string, body: { steps?: Op[] }): Promise<void> {
    const run = this.active.get(runId);
    if (run?.status !== 'running') return;
    const call = run.pending.find((work) => work.kind === 'call' && work.stepId === 'step');
    const attempts = call?.kind === 'call' ? call.attempt + 1 : 1;
    const now = this.clock.now();
    for (const op of body.steps ?? []) {
      if (op.op !== 'StepRun') continue;
      if (this.refuseLargeOutput(run, op.displayName ?? op.name ?? op.id, op.data)) break;
      const startedAt = call?.kind === 'call' ? (call.startedAt ?? now) : now;
      memoize(
        run,
        op.id,
        { data: op.data ?? null },
        { name: op.displayName ?? op.name ?? op.id, kind: 'run', attempts, startedAt, output: op.data },
        now,
      );
    }
    this.commits.markRun(run);
    await this.commits.durable();
  }

  private finish(
    run: RunRecord,
    status: Exclude<RunStatus, 'running'>,
    outcome: { output?: unknown; error?: SerializedError; cancelledBy?: string },
  ): void {
    for (const work of [...run.pending]) this.removeWork(run, work);
    this.scheduler.cancel(deadlineKey(run));
    run.status = status;
    run.endedAt = this.clock.now();
    if (status === 'completed') run.output = outcome.output ?? null;
    if (outcome.error) run.error = outcome.error;
    this.commits.markRun(run);
    this.active.delete(run.id);
    if (status === 'failed')
      this.logger.warn(`Run ${run.id} of ${run.functionId} failed: ${run.error?.message}`);

    const data = { function_id: run.functionId, run_id: run.id, event: run.event, events: run.events };
    const lifecycle: EngineEventInput[] = [];
    // As the server does (executor.finalize): a run started by a finish event reports no finish of
    // its own, or a handler of every `inngest/function.finished` would trigger itself for ever.
    const reportsFinish = !LIFECYCLE_TRIGGERS.has(run.event.name);
    if (status === 'failed' && reportsFinish)
      lifecycle.push({
        name: 'inngest/function.failed',
        id: `failed-${run.id}`,
        data: { ...data, error: run.error },
      });
    if (status === 'cancelled')
      lifecycle.push({ name: 'inngest/function.cancelled', id: `cancelled-${run.id}`, data });
    if (reportsFinish)
      lifecycle.push({
        name: 'inngest/function.finished',
        id: `finished-${run.id}`,
        data: {
          ...data,
          ...(status === 'completed' ? { result: run.output } : { error: run.error }),
          _inngest: { status: `${status[0]!.toUpperCase()}${status.slice(1)}` },
        },
      });
    // Stored with the run's end, in the same transaction: a crash cannot keep one without the other.
    for (const input of lifecycle) {
      this.accept({ id: input.id!, name: input.name, data: input.data ?? {}, ts: this.clock.now() });
    }

    if (run.invokedBy) {
      const parent = this.active.get(run.invokedBy.runId);
      const error = run.error ?? { name: 'Error', message: `Invoked run ${run.id} was ${status}.` };
      if (parent) {
        if (status === 'completed')
          this.resolveOp(
            parent,
            run.invokedBy.opId,
            { data: run.output },
            { kind: 'invoke', output: run.output },
          );
        else this.resolveOp(parent, run.invokedBy.opId, { error }, { kind: 'invoke', error });
      }
    }
  }

  /** `priority.run`: seconds a run moves ahead in its queues (−600 to 600), as on the server. */
  private priorityOf(fn: RegisteredFunction, run: RunRecord): number {
    const expression = (fn.priority as { run?: string } | undefined)?.run;
    if (!expression) return 0;
    const value = Number(celValue(expression, { event: run.event }));
    return Number.isFinite(value) ? Math.max(-600, Math.min(600, value)) : 0;
  }

  private concurrencyKeys(fn: RegisteredFunction, run: RunRecord): Array<{ key: string; limit: number }> {
    if (fn.concurrency === undefined) return [];
    const limits = Array.isArray(fn.concurrency)
      ? fn.concurrency
      : typeof fn.concurrency === 'number'
        ? [{ limit: fn.concurrency }]
        : [fn.concurrency];
    return limits
      .filter((limit) => limit.limit > 0)
      .map((limit, index) => {
        const value = limit.key ? JSON.stringify(celValue(limit.key, { event: run.event }) ?? null) : '';
        // `env` and `account` limits are shared by every function with the same key expression (one
        // app, one environment here); `fn` limits belong to their function.
        const scope =
          limit.scope === 'env' || limit.scope === 'account'
            ? `${limit.scope}:${limit.key ?? ''}`
            : `${fn.id}#${index}`;
        return { key: `${scope}:${value}`, limit: limit.limit };
      });
  }

  /**
   * Watchers see stored states only, so what they report is never ahead of the store: the stored
   * head, and the run's steps as far as they were stored (steps are only ever appended).
   */
  private notifyStored(changes: StoredChange[]): void {
    for (const { change, run } of changes) {
      const stepCount = change.stepsBefore + change.newSteps.length;
      this.watchers.notify(change.head, () =>
        structuredClone(assembleRun(change.head, stepsOf(run, 0, stepCount))),
      );
    }
  }

  /** Stops running anything, keeping what is stored: another engine may hold the store now. */
  private halt(reason: string): void {
    if (this.closed) return;
    this.logger.error(`The embedded engine stopped: ${reason}`);
    this.closed = true;
    this.commits.halt(new EngineStoppedError(reason));
    this.scheduler.cancelAll();
    for (const abort of this.inFlight) abort.abort();
  }

  /** Runs matching a filter, oldest first. */
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.store.listRuns(filter);
  }

  /** One run, with its event, status, output or error, and step timeline. */
  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.store.getRun(runId);
  }

  /**
   * Resolves with the first run that matches the filter, by default once it is in a final state
   * (`completed`, `failed` or `cancelled`); rejects with `WaitForRunTimeoutError` after `timeoutMs`.
   */
  async waitForRun(filter: WaitForRunFilter, timeoutMs = 10_000): Promise<RunRecord> {
    const effective: WaitForRunFilter = { ...filter, status: filter.status ?? FINAL_STATUSES };
    const matches = (run: RunHead) =>
      (!filter.runId || run.id === filter.runId) && runMatches(run, effective, this.app?.appId);
    return new Promise<RunRecord>((resolve, reject) => {
      const remove = this.watchers.add(filter, (head, full) => {
        if (matches(head)) settle(() => resolve(full()));
      });
      const timer = setTimeout(
        () => settle(() => reject(new WaitForRunTimeoutError(filter, timeoutMs))),
        timeoutMs,
      );
      const settle = (outcome: () => void) => {
        if (!remove()) return;
        clearTimeout(timer);
        outcome();
      };
      const existing = filter.runId
        ? this.store.getRun(filter.runId).then((run) => (run ? [run] : []))
        : this.store.listRuns(effective);
      void existing.then((runs) => {
        const found = runs.find(matches);
        if (found) settle(() => resolve(found));
      });
    });
  }

  /** Stops the engine: its timers, its in-flight requests and its server. Pending runs stay in the store. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.scheduler.cancelAll();
    for (const abort of this.inFlight) abort.abort();
    await this.commits.close(new EngineStoppedError('it is closed'));
    await this.server?.close();
    this.appClient.close();
    await this.store.close();
  }
}

/** Refuses what the server would refuse at its event API: too many events, or one too large. */
function checkEventLimits(inputs: EngineEventInput[]): void {
  if (inputs.length > MAX_EVENTS_PER_REQUEST) {
    throw new EventRejectedError(
      `${inputs.length} events in one request: at most ${MAX_EVENTS_PER_REQUEST} are accepted. Send them in several requests.`,
    );
  }
  inputs.forEach((input, index) => {
    const size = Buffer.byteLength(JSON.stringify(input));
    if (size > MAX_EVENT_BYTES) {
      throw new EventRejectedError(
        `Event ${index} ("${input.name}") is ${size} bytes: an event's payload is at most ${MAX_EVENT_BYTES} bytes. Send a reference to large data instead.`,
      );
    }
  });
}

/** The limiter key that bounds the Call Requests in flight across all runs. */
const IN_FLIGHT_KEY = '\u0000engine:calls-in-flight';
const DEFAULT_MAX_CALLS_IN_FLIGHT = 64;

/** Refuses options the engine could not honour, naming the option and the fix. */
function validateOptions(options: EmbeddedEngineOptions): void {
  const { leaseWaitMs, signingKey, eventKey, maxCallsInFlight } = options;
  if (maxCallsInFlight !== undefined && !(Number.isInteger(maxCallsInFlight) && maxCallsInFlight >= 1)) {
    throw new EngineConfigurationError(
      'maxCallsInFlight',
      `maxCallsInFlight must be a whole number, 1 or more; got ${String(maxCallsInFlight)}.`,
    );
  }
  if (leaseWaitMs !== undefined && !(typeof leaseWaitMs === 'number' && leaseWaitMs >= 0)) {
    throw new EngineConfigurationError(
      'leaseWaitMs',
      `leaseWaitMs must be a number of milliseconds, 0 or more (Infinity to wait for ever); got ${String(leaseWaitMs)}.`,
    );
  }
  if (signingKey !== undefined && !/^signkey-\w+-([0-9a-f]{2})+$/i.test(signingKey)) {
    throw new EngineConfigurationError(
      'signingKey',
      'signingKey must have Inngest\'s format, "signkey-<env>-<hex>" (e.g. "signkey-prod-" and 64 hex digits), or be left unset for a fresh key per process.',
    );
  }
  if (eventKey !== undefined && !/^[\w.~-]+$/.test(eventKey)) {
    throw new EngineConfigurationError(
      'eventKey',
      'eventKey must be a non-empty string of letters, digits, "-", "_", "." or "~" (it is a path segment of /e/<key>), or be left unset for a fresh key per process.',
    );
  }
}

/** Whether two serve URLs name the same endpoint (origin and path; the query does not matter). */
function sameServeUrl(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    return x.origin === y.origin && x.pathname.replace(/\/+$/, '') === y.pathname.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

function invokeTimeoutError(): SerializedError {
  return { name: 'InngestInvokeTimeoutError', message: 'Timed out waiting for invoked function to complete' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
