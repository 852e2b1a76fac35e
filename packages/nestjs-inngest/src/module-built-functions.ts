import { Reflector } from '@nestjs/core';

/** What {@link DeclaresInngestFunctions} records on a class. */
export interface ModuleBuiltFunctions {
  /** The decorator a user writes on the class, as they write it (`'@Saga'`). */
  readonly decorator: string;
  /** What to import so that the functions are built and served (`'SagaModule.forRoot()'`). */
  readonly module: string;
  /** The ids of the Inngest functions that module registers for the class. */
  readonly functionIds: readonly string[];
}

/**
 * For packages whose own class decorator becomes Inngest functions once their module is imported
 * (`@Saga` with `SagaModule`). A provider whose class carries it but whose functions were never
 * registered gets a warning at sync naming the module to import, instead of an app that serves
 * nothing and says nothing.
 *
 * @example
 * ```ts
 * export function Saga(options: SagaOptions): ClassDecorator {
 *   return (target) => {
 *     DeclaresInngestFunctions({ decorator: '@Saga', module: 'SagaModule.forRoot()', functionIds: [options.id] })(target);
 *   };
 * }
 * ```
 */
export const DeclaresInngestFunctions = Reflector.createDecorator<ModuleBuiltFunctions>();
