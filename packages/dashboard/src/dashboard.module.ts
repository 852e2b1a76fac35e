import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  ConfigurableDashboardModule,
  DASHBOARD_MODULE_OPTIONS,
  DASHBOARD_RESOLVED_OPTIONS,
} from './dashboard.module-definition';
import { type DashboardModuleOptions, resolveDashboardOptions } from './dashboard.options';
import { DashboardRuntime } from './dashboard.runtime';
import { DashboardRoutes } from './http/dashboard-routes';
import { DashboardSources } from './sources/dashboard-sources';

/**
 * Mounts a live web dashboard of the app's sagas, runs, circuit breakers and event streams at
 * `path` (default `/dashboard`), on Express or Fastify. It shows whatever the app has of
 * `SagaModule`, `CircuitBreakerModule`, `EventStoreModule` and the embedded engine, and needs none
 * of them. Read-only unless `actions` are enabled; outside development it will not start without a
 * `guard`.
 *
 * @throws DashboardConfigError at start-up, naming the option, when an option is invalid or the guard is missing.
 * @example
 * ```ts
 * @Module({
 *   imports: [DashboardModule.forRoot({ guard: basicAuthGuard({ username: 'ops', password: process.env.DASHBOARD_PASSWORD! }) })],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: DASHBOARD_RESOLVED_OPTIONS,
      inject: [DASHBOARD_MODULE_OPTIONS],
      useFactory: (options: DashboardModuleOptions) => resolveDashboardOptions(options ?? {}),
    },
    DashboardSources,
    DashboardRuntime,
    DashboardRoutes,
  ],
})
export class DashboardModule extends ConfigurableDashboardModule {}
