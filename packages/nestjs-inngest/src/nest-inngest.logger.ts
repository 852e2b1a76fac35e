import { format } from 'node:util';
import { Logger } from '@nestjs/common';
import type { Logger as InngestLogger } from 'inngest';

/**
 * @internal Inngest's logger interface over Nest's `Logger`, so that `logger.info()` inside a
 * function and the SDK's own messages go wherever the app's logs go.
 */
export function createNestInngestLogger(context = 'Inngest'): InngestLogger {
  const logger = new Logger(context);
  return {
    info: (...args) => logger.log(format(...args)),
    warn: (...args) => logger.warn(format(...args)),
    error: (...args) => logger.error(format(...args)),
    debug: (...args) => logger.debug(format(...args)),
  };
}
