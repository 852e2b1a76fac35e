import { Middleware } from 'inngest';
import type { InngestEventChecks } from './inngest-event.checks';

/**
 * @internal The client middleware that runs the binding's event checks. It comes first in the
 * client's list, so it sees the events the app sent before other middleware (encryption, say)
 * transforms them, and the triggering events after they have been transformed back. Being on the
 * client, it covers `InngestService.send`, the injected client's `send`, `step.sendEvent`, and the
 * functions other packages register.
 */
export function eventChecksMiddleware(checks: InngestEventChecks): Middleware.Class[] {
  class SentEventChecks extends Middleware.BaseMiddleware {
    readonly id = 'sagaline:sent-event-checks';

    override async transformSendEvent(arg: Middleware.TransformSendEventArgs) {
      await checks.beforeSend(arg.events, arg.fn !== null);
      return arg;
    }
  }
  if (!checks.hasSchemas) return [SentEventChecks];

  class TriggerSchemaChecks extends Middleware.BaseMiddleware {
    readonly id = 'sagaline:trigger-schema-checks';

    override async wrapFunctionHandler({ ctx, fn, next }: Middleware.WrapFunctionHandlerArgs) {
      await checks.beforeRun(ctx.events as ReadonlyArray<{ name: string; data?: unknown }>, fn.id());
      return next();
    }
  }
  return [SentEventChecks, TriggerSchemaChecks];
}
