import { Controller, Get } from '@nestjs/common';
import type { TenantConfig } from '../config/tenants';
import { ExperimentsService } from '../experiments/experiments.service';
import { CurrentTenant } from '../tenancy/tenant.guard';
import { AnalyticsService } from './analytics.service';

@Controller('analytics')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly experiments: ExperimentsService,
  ) {}

  /** Business metrics of the tenant: orders by state, revenue, average order value, cancellations by reason. */
  @Get()
  summary(@CurrentTenant() tenant: TenantConfig) {
    return this.analytics.summary(tenant);
  }

  /** The experiments: exposures, conversions, conversion rates and a significance test per variant. */
  @Get('experiments')
  async experimentsReport(@CurrentTenant() tenant: TenantConfig) {
    return { experiments: await this.experiments.report(tenant.id) };
  }
}
