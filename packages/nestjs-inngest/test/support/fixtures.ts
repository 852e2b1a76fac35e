import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '../../src';

/** A plain service, injected into the function provider below. */
@Injectable()
export class PricingService {
  readonly calls: string[] = [];
  quote(orderId: string): number {
    this.calls.push(orderId);
    return 42;
  }
}

/** A provider with a three-step function that uses an injected service through `this`. */
@Injectable()
export class OrderFunctions {
  constructor(private readonly pricing: PricingService) {}

  @InngestFunction({ id: 'price-order', triggers: { event: 'order/created' }, retries: 2 })
  async priceOrder({ event, step }: InngestContext) {
    const orderId = await step.run('load-order', () => event.data.orderId as string);
    const price = await step.run('quote', () => this.pricing.quote(orderId));
    const total = await step.run('total', () => price * 2);
    return { orderId, total };
  }

  @InngestFunction({ id: 'nightly-report', triggers: [{ cron: '0 3 * * *' }] })
  async nightlyReport() {
    return 'done';
  }
}
