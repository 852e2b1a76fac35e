import type { CustomDecorator } from '@nestjs/common';
import { type ReflectableDecorator, Reflector } from '@nestjs/core';
import type { Middleware, InngestFunction as SdkFunction } from 'inngest';
import type { InngestTrigger } from './inngest.events';
import { recordDeclaration } from './inngest-function.declarations';

/**
 * Options of `@InngestFunction`: every option of Inngest v4's `createFunction`, with `onFailure`
 * naming a method of the same provider so that it, too, runs with `this` bound to the provider.
 */
export interface InngestFunctionOptions
  extends Omit<SdkFunction.Options, 'triggers' | 'onFailure' | 'middleware' | 'id'> {
  /** The function id, unique within the app, e.g. `send-receipt`. */
  id: string;
  /** What starts the function: one trigger or several. */
  triggers: InngestTrigger | InngestTrigger[];
  /** Name of a method of the same provider that runs once the function has failed for good. */
  onFailure?: string;
  /** Inngest v4 middleware classes applied to this function only. */
  middleware?: Middleware.Class[];
}

/**
 * Makes a provider method an Inngest function. The method runs with `this` bound to the provider,
 * so injected services work, and receives the usual Inngest context (`event`, `step`, `runId`,
 * `attempt`, `logger`).
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Receipts {
 *   constructor(private readonly mail: MailService) {}
 *
 *   @InngestFunction({ id: 'send-receipt', triggers: { event: 'order/created' }, retries: 3 })
 *   async send({ event, step }: InngestContext<'order/created'>) {
 *     await step.run('email', () => this.mail.receipt(event.data.orderId));
 *   }
 * }
 * ```
 */
export const InngestFunction: ReflectableDecorator<InngestFunctionOptions> = recordingDeclarations(
  Reflector.createDecorator<InngestFunctionOptions>(),
);

/**
 * Also records each decorated method as its class is defined, so that the module can name the
 * classes that declare functions but that no module lists in `providers` (Nest never instantiates
 * them, and their functions would silently not exist).
 */
function recordingDeclarations(
  metadata: ReflectableDecorator<InngestFunctionOptions>,
): ReflectableDecorator<InngestFunctionOptions> {
  const decorator = (options?: InngestFunctionOptions): CustomDecorator => {
    const setMetadata = metadata(options);
    const decorate = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
      if (typeof key === 'string' && options) recordDeclaration(target, key, options);
      return (setMetadata as (...args: unknown[]) => unknown)(target, key, descriptor);
    };
    return Object.assign(decorate, { KEY: metadata.KEY }) as CustomDecorator;
  };
  return Object.assign(decorator, { KEY: metadata.KEY });
}
