import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DashboardModuleOptions } from './dashboard.options';

/** Injection token of the resolved options (internal). */
export const DASHBOARD_RESOLVED_OPTIONS = Symbol.for('sagaline:dashboard:resolved-options');

export const {
  ConfigurableModuleClass: ConfigurableDashboardModule,
  MODULE_OPTIONS_TOKEN: DASHBOARD_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<DashboardModuleOptions>({ moduleName: 'Dashboard' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
