import { Injectable } from '@nestjs/common';
import { UseCircuitBreaker } from '@sagaline/circuit-breaker';

/** A client of a rates service that is down: every call fails until the breaker stops them. */
@Injectable()
export class RatesClient {
  reached = 0;

  @UseCircuitBreaker('rates', {
    slidingWindowSize: 4,
    minimumNumberOfCalls: 4,
    waitDurationInOpenState: 60_000,
  })
  async rate(currency: string): Promise<number> {
    this.reached++;
    throw new Error(`rates service is down (asked for ${currency})`);
  }
}
