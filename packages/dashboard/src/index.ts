export { type BasicAuthGuardOptions, basicAuthGuard } from './basic-auth.guard';
export { DashboardConfigError, DashboardError } from './dashboard.errors';
export { DashboardModule } from './dashboard.module';
export {
  type DashboardActions,
  type DashboardGuard,
  type DashboardModuleOptions,
  type DashboardRequest,
  type DashboardSagaRef,
  DEFAULT_REDACTED_FIELDS,
  type SagaStreamRef,
} from './dashboard.options';
export { REDACTED } from './redaction';
export type { InngestApiOptions } from './sources/inngest-rest-runs';
