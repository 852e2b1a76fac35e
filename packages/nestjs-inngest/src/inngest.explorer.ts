import { Inject, Injectable, Logger, type OnModuleInit, Scope } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Inngest } from 'inngest';
import { INNGEST_RUNTIME } from './inngest.constants';
import { InngestConfigurationError, ScopedInngestFunctionError } from './inngest.errors';
import type { InngestRuntime } from './inngest.runtime';
import { declarationsNotProvided, type InngestFunctionDeclaration } from './inngest-function.declarations';
import { InngestFunction, type InngestFunctionOptions } from './inngest-function.decorator';
import { InngestFunctionRegistry } from './inngest-function.registry';
import { DeclaresInngestFunctions, type ModuleBuiltFunctions } from './module-built-functions';

type Handler = (ctx: unknown) => unknown;

/** Finds every `@InngestFunction` method at start-up and registers it as an Inngest function. */
@Injectable()
export class InngestExplorer implements OnModuleInit {
  private readonly logger = new Logger('InngestModule');
  private readonly providedClasses = new Set<Function>();
  private notProvidedDeclarations: InngestFunctionDeclaration[] = [];
  private readonly moduleBuiltByClass = new Map<Function, ModuleBuiltFunctions>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: InngestFunctionRegistry,
    @Inject(INNGEST_RUNTIME) private readonly runtime: InngestRuntime,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.registerProvider(wrapper);
    this.notProvidedDeclarations = declarationsNotProvided(this.providedClasses);
    const count = this.registry.list().length;
    this.logger.log(
      `${count} Inngest function${count === 1 ? '' : 's'} discovered (mode: ${this.runtime.mode})`,
    );
  }

  /**
   * The `@InngestFunction` methods whose class was defined but is the class of no provider of this
   * app, found at start-up.
   */
  get notProvided(): readonly InngestFunctionDeclaration[] {
    return this.notProvidedDeclarations;
  }

  /**
   * The providers whose class another package's decorator marks as becoming Inngest functions once
   * its module is imported, by class (see `DeclaresInngestFunctions`).
   */
  get moduleBuilt(): ReadonlyMap<Function, ModuleBuiltFunctions> {
    return this.moduleBuiltByClass;
  }

  private registerProvider(wrapper: InstanceWrapper): void {
    const instance = wrapper.instance as Record<string, Handler> | undefined;
    const prototype = instance ? Object.getPrototypeOf(instance) : wrapper.metatype?.prototype;
    if (!prototype || typeof prototype !== 'object') return;
    const moduleBuilt =
      typeof prototype.constructor === 'function'
        ? this.reflector.get(DeclaresInngestFunctions, prototype.constructor)
        : undefined;
    if (moduleBuilt) this.moduleBuiltByClass.set(prototype.constructor, moduleBuilt);
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const options = this.reflector.get(InngestFunction, prototype[methodName]);
      if (!options) continue;
      const className = prototype.constructor?.name ?? String(wrapper.name);
      if (typeof prototype.constructor === 'function') this.providedClasses.add(prototype.constructor);
      if (!isSingleton(wrapper)) throw new ScopedInngestFunctionError(className, methodName);
      const source = `${className}.${methodName}`;
      this.registry.register(this.createFunction(instance!, methodName, options, source), source);
    }
  }

  private createFunction(
    instance: Record<string, Handler>,
    methodName: string,
    options: InngestFunctionOptions,
    source: string,
  ) {
    validateFunctionOptions(options, source, instance);
    const { onFailure, triggers, ...rest } = options;
    const client: Inngest = this.runtime.client;
    return client.createFunction(
      {
        ...rest,
        triggers: triggers as never,
        onFailure: onFailure ? (ctx: unknown) => instance[onFailure]!.call(instance, ctx) : undefined,
      },
      (ctx: unknown) => instance[methodName]!.call(instance, ctx) as never,
    );
  }
}

function isSingleton(wrapper: InstanceWrapper): boolean {
  return (wrapper.scope ?? Scope.DEFAULT) === Scope.DEFAULT && wrapper.isDependencyTreeStatic();
}

function validateFunctionOptions(options: InngestFunctionOptions, source: string, instance: object): void {
  if (typeof options?.id !== 'string' || options.id.trim() === '') {
    throw new InngestConfigurationError(
      'id',
      `@InngestFunction on ${source} needs an \`id\`: a non-empty string unique within the app, e.g. 'send-receipt'.`,
    );
  }
  const triggers = Array.isArray(options.triggers) ? options.triggers : [options.triggers];
  if (options.triggers === undefined || triggers.length === 0) {
    throw new InngestConfigurationError(
      'triggers',
      `@InngestFunction "${options.id}" on ${source} has no \`triggers\`: give an event ({ event: 'order/created' }) or a cron ({ cron: '0 * * * *' }).`,
    );
  }
  for (const trigger of triggers as Array<{ event?: unknown; cron?: unknown }>) {
    const hasEvent = typeof trigger?.event === 'string' && trigger.event !== '';
    const hasCron = typeof trigger?.cron === 'string' && trigger.cron !== '';
    if (hasEvent === hasCron) {
      throw new InngestConfigurationError(
        'triggers',
        `@InngestFunction "${options.id}" on ${source} has a trigger with ${hasEvent ? 'both `event` and `cron`' : 'neither `event` nor `cron`'}: each trigger takes exactly one of them.`,
      );
    }
  }
  if (
    options.onFailure !== undefined &&
    typeof (instance as Record<string, unknown>)[options.onFailure] !== 'function'
  ) {
    throw new InngestConfigurationError(
      'onFailure',
      `@InngestFunction "${options.id}" on ${source} names onFailure "${options.onFailure}", which is not a method of ${source.split('.')[0]}.`,
    );
  }
}
