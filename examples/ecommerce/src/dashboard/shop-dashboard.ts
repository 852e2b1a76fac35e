import { randomBytes } from 'node:crypto';
import { type DynamicModule, Logger } from '@nestjs/common';
import { basicAuthGuard, DashboardModule, type DashboardModuleOptions } from '@sagaline/dashboard';

/**
 * The dashboard's options for the shop: Basic auth as `DASHBOARD_USER` (default `admin`) with
 * `DASHBOARD_PASSWORD` (a random one, logged at start-up, when unset), cancelling sagas and
 * controlling breakers enabled, and each order's own stream shown on its saga's page.
 */
export function shopDashboardOptions(env: NodeJS.ProcessEnv = process.env): DashboardModuleOptions {
  const username = env.DASHBOARD_USER || 'admin';
  let password = env.DASHBOARD_PASSWORD;
  if (!password) {
    password = randomBytes(12).toString('base64url');
    new Logger('Dashboard').log(
      `No DASHBOARD_PASSWORD set: the dashboard's password for user ${username} is ${password} for this run.`,
    );
  }
  return {
    title: 'Sagaline shop',
    guard: basicAuthGuard({ username, password }),
    actions: true,
    // the order's history is its stream, filed under the order's tenant
    businessKeyStreams: (saga) => [
      { streamId: `order-${saga.businessKey}`, tenantId: saga.event.data.tenantId as string | undefined },
    ],
  };
}

/** The dashboard at `/dashboard`, read from the environment when the app starts. */
export function shopDashboard(): DynamicModule {
  return DashboardModule.forRootAsync({ useFactory: () => shopDashboardOptions() });
}
