import { Injectable } from '@nestjs/common';
import { InngestService } from './inngest.service';

/** The result of `InngestHealthIndicator.isHealthy()`, in `@nestjs/terminus`'s shape. */
export type InngestHealthResult = Record<
  string,
  { status: 'up' | 'down'; mode: string; synced: boolean; functions: number }
>;

/**
 * A `@nestjs/terminus` health indicator: up once the app has synced its functions. It returns
 * terminus's result shape without importing terminus, which stays an optional peer.
 *
 * @example
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.inngestHealth.isHealthy()]); }
 * ```
 */
@Injectable()
export class InngestHealthIndicator {
  constructor(private readonly inngest: InngestService) {}

  /** Reports `up` when synced, `down` otherwise, with the mode and the number of functions. */
  isHealthy(key = 'inngest'): InngestHealthResult {
    const synced = this.inngest.synced;
    return {
      [key]: {
        status: synced ? 'up' : 'down',
        mode: this.inngest.mode,
        synced,
        functions: this.inngest.functions.length,
      },
    };
  }
}
