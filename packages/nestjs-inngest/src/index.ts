export { INNGEST_CLIENT, INNGEST_EMBEDDED_ENGINE } from './inngest.constants';
export {
  DuplicateInngestFunctionError,
  InngestBindingError,
  InngestConfigurationError,
  InngestEventPayloadError,
  InngestEventSchemaError,
  type InngestEventSchemaIssue,
  InngestSyncTimeoutError,
  LateRegistrationError,
  ScopedInngestFunctionError,
} from './inngest.errors';
export type {
  InngestContext,
  InngestEventData,
  InngestEventName,
  InngestEventPayload,
  InngestEventSchemas,
  InngestEvents,
  InngestEventToSend,
  InngestReceivedEvent,
  InngestTrigger,
} from './inngest.events';
export { InngestHealthIndicator, type InngestHealthResult } from './inngest.health';
export { InngestModule } from './inngest.module';
export { INNGEST_MODULE_OPTIONS } from './inngest.module-definition';
export {
  DEFAULT_SERVE_PATH,
  DEFAULT_SYNC_TIMEOUT_MS,
  type EmbeddedModeOptions,
  type InngestMode,
  type InngestModuleExtras,
  type InngestModuleOptions,
  resolveMode,
} from './inngest.options';
export type { EmbeddedExecutor } from './inngest.runtime';
export { InngestService } from './inngest.service';
export { InngestFunction, type InngestFunctionOptions } from './inngest-function.decorator';
export { InngestFunctionRegistry, type RegisteredInngestFunction } from './inngest-function.registry';
export { DeclaresInngestFunctions, type ModuleBuiltFunctions } from './module-built-functions';
