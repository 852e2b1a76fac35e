import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { CircuitBreakerHealthIndicator } from '@sagaline/circuit-breaker';
import { InngestHealthIndicator } from '@sagaline/nestjs-inngest';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';
import { NotificationsService } from '../notifications/notifications.service';
import { WithoutTenant } from '../tenancy/tenant.guard';

@Controller('health')
@WithoutTenant()
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly inngest: InngestHealthIndicator,
    private readonly notifications: NotificationsService,
    private readonly breakers: CircuitBreakerHealthIndicator,
    @Inject(DATABASE) private readonly db: Database,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok' };
  }

  /**
   * Readiness, per dependency: database, Inngest (engine or server), SMTP, and the circuit breakers
   * of the payment gateway and the carrier (down while one is open, naming it). 503 when one is down.
   */
  @Get('detailed')
  @HealthCheck()
  detailed() {
    return this.health.check([
      () => this.probe('database', { kind: this.db.kind }, () => this.db.query('SELECT 1')),
      () => this.inngest.isHealthy('inngest'),
      () => this.probe('smtp', {}, () => this.notifications.email.verify()),
      () => this.breakers.isHealthy('circuit-breakers'),
    ]);
  }

  private async probe(key: string, facts: Record<string, unknown>, check: () => Promise<unknown>) {
    const indicator = this.indicators.check(key);
    try {
      await check();
      return indicator.up(facts);
    } catch (error) {
      return indicator.down({ ...facts, error: (error as Error).message });
    }
  }
}
