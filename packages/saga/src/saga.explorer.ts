import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { InngestFunctionRegistry, InngestService } from '@sagaline/nestjs-inngest';
import {
  type CompensateMetadata,
  CompensateMetadataKey,
  SagaMetadata,
  type SagaOptions,
  type SagaStepMetadata,
  SagaStepMetadataKey,
} from './saga.decorators';
import { assertRunnable, RESERVED_STEP_ID, RESERVED_STEP_ID_RULE } from './saga.definition';
import { SagaDefinitionError } from './saga.errors';
import { SAGA_MODULE_OPTIONS, SAGA_STATE_STORE, type SagaModuleOptions } from './saga.module-definition';
import { SagaRegistry } from './saga.registry';
import { compensateStarted, extraEventData, outcomeOf, runSaga } from './saga.runner';
import type { SagaStateStore } from './saga.state';
import type { SagaDefinition, SagaStepDefinition, SagaStepTools } from './saga.types';

type Methods = Record<string, (...args: unknown[]) => unknown>;

/** @internal Finds `@Saga` providers, validates them, and registers their Inngest functions. */
@Injectable()
export class SagaExplorer implements OnModuleInit {
  private readonly logger = new Logger('SagaModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly inngest: InngestService,
    private readonly functions: InngestFunctionRegistry,
    private readonly registry: SagaRegistry,
    @Inject(SAGA_STATE_STORE) private readonly stateStore: SagaStateStore,
    @Inject(SAGA_MODULE_OPTIONS) private readonly moduleOptions: SagaModuleOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Methods | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const options = this.reflector.get(SagaMetadata, instance.constructor);
      if (!options) continue;
      const definition = buildDefinition(
        instance,
        { lifecycleEvents: this.moduleOptions.lifecycleEvents, ...options },
        this.scanner,
        this.reflector,
      );
      this.register(definition, options, instance.constructor.name);
    }
    if (this.registry.list().length > 0) this.logger.log(`${this.registry.list().length} sagas registered`);
  }

  private register(definition: SagaDefinition, options: SagaOptions, className: string): void {
    const client = this.inngest.client;
    const trigger = typeof options.trigger === 'string' ? { event: options.trigger } : options.trigger;
    const store = this.stateStore;
    const fn = client.createFunction(
      {
        id: definition.id,
        triggers: [trigger],
        retries: (options.retries ?? 3) as never,
        ...(options.cancelOn ? { cancelOn: [options.cancelOn as never] } : {}),
      },
      (ctx) => runSaga(definition, ctx as never, { stateStore: store }),
    );
    this.functions.register(fn, `${className} (saga)`);
    if (options.cancelOn) {
      const functionId = `${client.id}-${definition.id}`;
      const cancellation = client.createFunction(
        {
          id: `${definition.id}-cancellation`,
          triggers: [
            { event: 'inngest/function.cancelled', if: `event.data.function_id == '${functionId}'` },
          ],
          retries: (options.retries ?? 3) as never,
        },
        async ({ event, step, logger }) => {
          const state = await store.get(event.data.run_id as string);
          if (!state) return { status: 'unknown', runId: event.data.run_id };
          const context = (attempt: number) => ({
            sagaId: definition.id,
            runId: state.runId,
            ...(state.businessKey !== undefined ? { businessKey: state.businessKey } : {}),
            event: state.event,
            results: { ...state.results },
            logger,
            attempt,
          });
          // No progress stored on the way: each request of this function reads the state again (the
          // read is not a step), and must find the run's, not its own half-done compensation.
          const result = await compensateStarted(
            definition,
            state,
            step as unknown as SagaStepTools,
            context,
          );
          state.status = result === 'failed' ? 'compensation_failed' : 'cancelled';
          state.updatedAt = Date.now();
          await store.save(state);
          await step.sendEvent('saga:cancelled', {
            name: result === 'failed' ? 'saga/compensation.failed' : 'saga/cancelled',
            id: `${state.runId}:cancelled`,
            data: { ...extraEventData(definition, state.event, logger), ...outcomeOf(state) },
          });
          return outcomeOf(state);
        },
      );
      this.functions.register(cancellation, `${className} (saga cancellation)`);
    }
    this.registry.add(definition, className);
  }
}

/** @internal Builds and validates a saga definition from a decorated instance. */
export function buildDefinition(
  instance: Methods,
  options: SagaOptions,
  scanner: MetadataScanner,
  reflector: Reflector,
): SagaDefinition {
  const className = instance.constructor.name;
  const fail = (message: string) => {
    throw new SagaDefinitionError(className, `Saga ${className} ("${options.id}"): ${message}`);
  };
  const prototype = Object.getPrototypeOf(instance);
  const steps: Array<SagaStepMetadata & { method: string; index: number }> = [];
  const compensations = new Map<string, CompensateMetadata & { method: string }>();
  scanner.getAllMethodNames(prototype).forEach((method, index) => {
    const step = reflector.get(SagaStepMetadataKey, prototype[method]);
    const compensate = reflector.get(CompensateMetadataKey, prototype[method]);
    if (step) {
      if (RESERVED_STEP_ID.test(step.id)) {
        fail(`${className}.${method} has the step id "${step.id}", which ${RESERVED_STEP_ID_RULE}`);
      }
      if (steps.some((s) => s.id === step.id)) {
        fail(
          `step id "${step.id}" is declared twice (${className}.${steps.find((s) => s.id === step.id)!.method} and ${className}.${method}).`,
        );
      }
      steps.push({ ...step, method, index });
    }
    if (compensate) {
      if (compensations.has(compensate.stepId))
        fail(`step "${compensate.stepId}" has two @Compensate methods.`);
      compensations.set(compensate.stepId, { ...compensate, method });
    }
  });
  if (steps.length === 0) fail('it has no @SagaStep methods; a saga needs at least one step.');
  for (const [stepId, compensate] of compensations) {
    if (!steps.some((s) => s.id === stepId)) {
      fail(
        `${className}.${compensate.method} compensates step "${stepId}", which is not a @SagaStep of this saga.`,
      );
    }
  }
  steps.sort((a, b) => (a.order ?? a.index) - (b.order ?? b.index) || a.index - b.index);
  const pivot = steps.findIndex((s) => s.pivot);
  if (pivot >= 0) {
    const late = steps.slice(pivot + 1).find((s) => compensations.has(s.id));
    if (late) {
      fail(
        `step "${late.id}" comes after the pivot "${steps[pivot]!.id}" and has a compensation (${className}.${compensations.get(late.id)!.method}); steps after a pivot are retried forward, never compensated.`,
      );
    }
  }
  const businessKey = options.businessKey;
  const definition: SagaDefinition = {
    id: options.id,
    retries: options.retries,
    lifecycleEvents: options.lifecycleEvents,
    lifecycleEventData: options.lifecycleEventData,
    operatorTimeout: options.operatorTimeout,
    maxBreakerWaitMs: options.maxBreakerWaitMs,
    businessKey:
      typeof businessKey === 'function'
        ? businessKey
        : businessKey
          ? (event) => {
              const value = businessKey.split('.').reduce<any>((data, key) => data?.[key], event.data);
              return value === undefined ? undefined : String(value);
            }
          : undefined,
    steps: steps.map((step): SagaStepDefinition => {
      const method = instance[step.method]!.bind(instance);
      const compensation = compensations.get(step.id);
      return {
        id: step.id,
        action: step.waitForEvent
          ? { kind: 'waitForEvent', ...step.waitForEvent, map: (ctx, event) => method(ctx, event) }
          : step.sleep
            ? { kind: 'sleep', duration: step.sleep }
            : { kind: 'run', run: (ctx) => method(ctx) },
        ...(compensation
          ? {
              compensate: (ctx, output) => instance[compensation.method]!.call(instance, ctx, output),
              compensation: { retry: compensation.retry, onFailure: compensation.onFailure },
            }
          : {}),
        retry: step.retry,
        timeoutMs: step.timeoutMs,
        compensateOnFailure: step.compensateOnFailure,
        pivot: step.pivot,
        group: step.group,
        isPermanent: step.isPermanent,
      };
    }),
  };
  assertRunnable(definition, `${className} ("${options.id}")`);
  return definition;
}
