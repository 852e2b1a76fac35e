// The parts of the Sagaline packages the dashboard reads, typed here so that it depends on none of
// them: an app shows whatever it has.

/** @internal A saga state, as `@sagaline/saga` keeps it. */
export interface SagaStateLike {
  sagaId: string;
  runId: string;
  businessKey?: string;
  status: string;
  startedSteps: string[];
  completedSteps: string[];
  compensatedSteps: string[];
  results: Record<string, unknown>;
  failure?: { stepId: string; name: string; message: string };
  compensationFailures: Array<{ stepId: string; name: string; message: string }>;
  timings: Record<string, { startedAt: number; endedAt: number; attempts: number }>;
  startedAt: number;
  updatedAt: number;
  event: { name: string; data: Record<string, unknown>; id?: string };
}

/** @internal `SagaStateStore` of `@sagaline/saga`. */
export interface SagaStateStoreLike {
  save(state: SagaStateLike, options?: unknown): Promise<void>;
  get(runId: string): Promise<SagaStateLike | undefined>;
  findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaStateLike[]>;
}

/** @internal One step of a saga definition. */
export interface SagaStepLike {
  id: string;
  action: { kind: string; event?: string; match?: string; if?: string; timeout?: string; duration?: string };
  compensate?: unknown;
  pivot?: boolean;
  group?: string;
}

/** @internal `SagaRegistry` of `@sagaline/saga`. */
export interface SagaRegistryLike {
  list(): Array<{ definition: SagaDefinitionLike; className: string }>;
  get(sagaId: string): { definition: SagaDefinitionLike; className: string } | undefined;
}

/** @internal A saga definition. */
export interface SagaDefinitionLike {
  id: string;
  steps: SagaStepLike[];
  businessKey?: (event: { data: any }) => string | undefined;
}

/** @internal A breaker snapshot of `@sagaline/circuit-breaker`. */
export interface BreakerSnapshotLike {
  name: string;
  state: string;
  openedAt: number;
  probeAt: number;
  degraded: boolean;
  stats: { calls: number; failures: number; slowCalls: number; failureRate: number; slowCallRate: number };
  totals: Record<string, number>;
}

/** @internal `CircuitBreakerService` of `@sagaline/circuit-breaker`. */
export interface BreakerServiceLike {
  list(): BreakerSnapshotLike[];
  stateChanges$: {
    subscribe(next: (change: { name: string; from: string; to: string; at: number }) => void): Unsubscribable;
  };
  forceOpen(name: string): Promise<void>;
  forceClosed(name: string): Promise<void>;
  reset(name: string): Promise<void>;
}

/** @internal */
export interface Unsubscribable {
  unsubscribe(): void;
}

/** @internal A run of `@sagaline/embedded-engine`. */
export interface RunLike {
  id: string;
  functionId: string;
  status: string;
  event: { id: string; name: string; data: Record<string, any>; ts?: number };
  output?: unknown;
  error?: { name: string; message: string; stack?: string };
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  timeline: Array<{
    name: string;
    kind: string;
    attempts: number;
    output?: unknown;
    error?: { name: string; message: string };
    startedAt: number;
    endedAt?: number;
  }>;
  pending: Array<{
    kind: string;
    name?: string;
    stepId?: string;
    event?: string;
    if?: string;
    dueAt: number;
    attempt?: number;
  }>;
}

/** @internal `EmbeddedEngine` of `@sagaline/embedded-engine`. */
export interface EngineLike {
  listRuns(filter: {
    functionId?: string;
    status?: string | string[];
    eventId?: string;
    createdSince?: number;
  }): Promise<RunLike[]>;
  getRun(runId: string): Promise<RunLike | undefined>;
}

/** @internal An event of `@sagaline/event-store`. */
export interface StoredEventLike {
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  tenantId: string;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  checkpoint: string;
  timestamp: Date;
}

/** @internal `EventStore` of `@sagaline/event-store`. */
export interface EventStoreLike {
  readonly adapter: string;
  readAll(options: {
    after?: string;
    maxCount?: number;
    tenantId?: string;
    types?: string[];
  }): Promise<{ events: StoredEventLike[]; checkpoint: string }>;
  readStream(
    streamId: string,
    options?: { tenantId?: string; direction?: 'forward' | 'backward'; maxCount?: number; from?: number },
  ): Promise<{ events: StoredEventLike[]; version: number; exists: boolean }>;
  /** Present from `@sagaline/event-store` 0.3: the streams each committed append of this process wrote. */
  onAppended?(listener: (streams: AppendedStreamLike[]) => void): () => void;
}

/** @internal A stream an append wrote, as `EventStore.onAppended` reports it. */
export interface AppendedStreamLike {
  tenantId: string;
  streamId: string;
}

/** @internal A catch-up subscription of `@sagaline/event-store`, as its store holds it. */
export interface SubscriptionLike {
  readonly name: string;
  readonly checkpoint: string | null;
  readonly lastError: Error | null;
  readonly tenantId?: string;
  /** The event types it handles, when it names them (the store's subscription keeps them as `types`). */
  readonly types?: unknown;
}

/** @internal `InngestService` of `@sagaline/nestjs-inngest`. */
export interface InngestServiceLike {
  readonly client: { id: string };
  readonly mode: string;
  readonly functions: Array<{
    id: string;
    fn: { opts?: { cancelOn?: Array<{ event: string; match?: string; if?: string }> } };
  }>;
  send(event: { name: string; data: Record<string, unknown> }): Promise<{ ids: string[] }>;
}
