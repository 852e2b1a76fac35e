import { Controller, Get, Header } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { WithoutTenant } from '../tenancy/tenant.guard';
import { ShopMetrics } from './shop-metrics';

/** `GET /metrics`: Prometheus text format. */
@Controller('metrics')
@WithoutTenant()
@SkipThrottle()
export class MetricsController {
  constructor(private readonly metrics: ShopMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
