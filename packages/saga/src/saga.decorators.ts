import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DeclaresInngestFunctions } from '@sagaline/nestjs-inngest';
import type { CompensationPolicy, RetryPolicy, SagaContext, SagaLifecycleEvents } from './saga.types';

/** Options of `@Saga`. */
export interface SagaOptions {
  /** The saga id, also its Inngest function id. */
  id: string;
  /** The event that starts it, optionally with a CEL `if`. */
  trigger: string | { event: string; if?: string };
  /** Retries of each step (attempts = retries + 1) and of the Inngest function. Default 3. */
  retries?: number;
  /** The business key: a path into `event.data` (`'orderId'`) or a function of the event. */
  businessKey?: string | ((event: { data: any }) => string | undefined);
  /**
   * Cancels the saga and runs its pending compensations, e.g.
   * `{ event: 'order/cancel.requested', match: 'data.orderId' }`.
   */
  cancelOn?: { event: string; match?: string; if?: string };
  /** Which `saga/*` lifecycle events are sent. Default: the module's, else `'failures'`. */
  lifecycleEvents?: SagaLifecycleEvents;
  /**
   * Fields added to the data of every `saga/*` event, from the triggering event, e.g.
   * `(event) => ({ tenantId: event.data.tenantId })`.
   */
  lifecycleEventData?: (event: { name: string; data: any }) => Record<string, unknown>;
  /** After a pivot: how long to wait for an operator's `saga/retry` event. Default `7d`. */
  operatorTimeout?: string;
  /**
   * How long each step and compensation may wait, in all, for an open circuit breaker's probe
   * time without spending attempts (ms). A step's `retry.maxBreakerWaitMs` overrides it. Default
   * 3600000 (1 h).
   */
  maxBreakerWaitMs?: number;
}

/** Options of `@SagaStep`. */
export interface SagaStepOptions {
  /** Position among the steps; declaration order when unset. */
  order?: number;
  /** Retries of this step (overrides the saga's `retries`). */
  retry?: RetryPolicy;
  /** Fails the attempt after this many ms; the outcome is then unknown and compensated. */
  timeoutMs?: number;
  /** Compensate this step when it failed for good too. Default `true`. */
  compensateOnFailure?: boolean;
  /** Once completed, later failures are retried forward, never compensated. */
  pivot?: boolean;
  /** Adjacent steps with the same group run in parallel. */
  group?: string;
  /** Errors that make retrying pointless. */
  isPermanent?: (error: unknown) => boolean;
  /**
   * Makes this a waiting step: it waits for the event (a timeout is a failure that compensates)
   * and the method, which must be pure, maps the event to the step's output.
   */
  waitForEvent?: { event: string; match?: string; if?: string; timeout: string };
  /** Makes this a waiting step that sleeps for a duration such as `'1h'`; the method is not called. */
  sleep?: string;
}

/** @internal What `@SagaStep` stores. */
export interface SagaStepMetadata extends SagaStepOptions {
  id: string;
}

/** @internal What `@Compensate` stores. */
export interface CompensateMetadata extends CompensationPolicy {
  stepId: string;
}

/** @internal */
export const SagaMetadata = Reflector.createDecorator<SagaOptions>();
/** @internal */
export const SagaStepMetadataKey = Reflector.createDecorator<SagaStepMetadata>();
/** @internal */
export const CompensateMetadataKey = Reflector.createDecorator<CompensateMetadata>();

/**
 * Declares a saga: a Nest provider whose `@SagaStep` methods run in order as durable Inngest
 * steps, each undone by its `@Compensate` method when the saga fails.
 *
 * @example
 * ```ts
 * @Saga({ id: 'order-processing', trigger: 'order/created', businessKey: 'orderId' })
 * export class OrderSaga {
 *   constructor(private readonly inventory: InventoryService) {}
 *
 *   @SagaStep('reserve-inventory')
 *   reserve(ctx: SagaContext<OrderCreated>) { return this.inventory.reserve(ctx.event.data.items); }
 *
 *   @Compensate('reserve-inventory')
 *   release(ctx: SagaContext<OrderCreated>, reservation: Reservation) { return this.inventory.release(reservation.id); }
 * }
 * ```
 */
export function Saga(options: SagaOptions): ClassDecorator {
  return (target) => {
    Injectable()(target);
    SagaMetadata(options)(target);
    // Without SagaModule nothing builds the saga's function; the binding then names the module at sync.
    DeclaresInngestFunctions({
      decorator: '@Saga',
      module: 'SagaModule.forRoot()',
      functionIds: [options.id],
    })(target);
  };
}

/** Makes a method a step of its saga; the method receives the `SagaContext`. */
export function SagaStep(id: string, options: SagaStepOptions = {}): MethodDecorator {
  return SagaStepMetadataKey({ ...options, id });
}

/**
 * Makes a method the compensation of a step: it receives the `SagaContext` and the step's output
 * (or `SAGA_UNKNOWN_OUTPUT` when the step failed or timed out). It must be idempotent.
 */
export function Compensate(stepId: string, policy: CompensationPolicy = {}): MethodDecorator {
  return CompensateMetadataKey({ ...policy, stepId });
}

/** The context type steps of a class saga receive. */
export type SagaStepContext<TData = Record<string, any>> = SagaContext<TData>;
