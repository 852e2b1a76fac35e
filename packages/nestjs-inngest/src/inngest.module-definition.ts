import { ConfigurableModuleBuilder } from '@nestjs/common';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_SERVE_PATH,
  type InngestModuleExtras,
  type InngestModuleOptions,
  normalizePath,
  type ServeEndpointOptions,
} from './inngest.options';

/** @internal Token of the serve endpoint settings (from the extras, known synchronously). */
export const INNGEST_SERVE_OPTIONS: unique symbol = Symbol.for('sagaline:inngest:serve-options');

export const {
  ConfigurableModuleClass: ConfigurableInngestModule,
  MODULE_OPTIONS_TOKEN: INNGEST_MODULE_OPTIONS,
  OPTIONS_TYPE: INNGEST_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: INNGEST_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<InngestModuleOptions>({ moduleName: 'Inngest' })
  .setClassMethodName('forRoot')
  .setExtras<InngestModuleExtras>(
    { isGlobal: false, servePath: DEFAULT_SERVE_PATH, bodyLimit: DEFAULT_BODY_LIMIT },
    (definition, extras) => {
      const serve: ServeEndpointOptions = {
        servePath: normalizePath(extras.servePath ?? DEFAULT_SERVE_PATH),
        bodyLimit: extras.bodyLimit ?? DEFAULT_BODY_LIMIT,
      };
      return {
        ...definition,
        global: extras.isGlobal,
        providers: [...(definition.providers ?? []), { provide: INNGEST_SERVE_OPTIONS, useValue: serve }],
      };
    },
  )
  .build();
