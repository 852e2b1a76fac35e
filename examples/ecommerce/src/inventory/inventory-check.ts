import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import type { ShopEvents } from '../domain/events';
import { InventoryService } from './inventory.service';

/** The most stock checks one run answers. */
export const INVENTORY_CHECK_BATCH_SIZE = 50;

/**
 * How long the first request of a batch waits for others before the batch runs anyway: the
 * shortest an Inngest server takes (the SDK's type allows whole seconds).
 */
export const INVENTORY_CHECK_BATCH_TIMEOUT = '1s';

/** The id of an order's `inventory.checked` answer: a re-sent answer starts nothing new. */
export const inventoryCheckedEventId = (orderId: string) => `inventory.checked:${orderId}`;

type CheckRequest = ShopEvents['inventory.check.requested'];
type CheckResult = ShopEvents['inventory.checked'];

/**
 * Checks the stock of many orders at once: Inngest gathers the intake's
 * `inventory.check.requested` events of a tenant into batches (up to
 * `INVENTORY_CHECK_BATCH_SIZE`, or what arrived within `INVENTORY_CHECK_BATCH_TIMEOUT`), the run
 * reads the stock of the whole batch with one query, and answers each order with its own
 * `inventory.checked`, which the order's intake waits for. Under load that is one run and one
 * query per batch instead of one per order; the price is up to the batch timeout of latency.
 * Recording the result on the order is the intake's job: a cancelled intake records nothing.
 */
@Injectable()
export class InventoryCheck {
  constructor(private readonly inventory: InventoryService) {}

  @InngestFunction({
    id: 'inventory-check',
    triggers: [{ event: 'inventory.check.requested' }],
    batchEvents: {
      maxSize: INVENTORY_CHECK_BATCH_SIZE,
      timeout: INVENTORY_CHECK_BATCH_TIMEOUT,
      key: 'event.data.tenantId',
    },
  })
  async check({ events, step }: InngestContext<'inventory.check.requested'>) {
    const results = await step.run('check-stock', () => this.checkAll(events.map((event) => event.data)));
    await step.sendEvent(
      'answer',
      results.map((data) => ({ name: 'inventory.checked', id: inventoryCheckedEventId(data.orderId), data })),
    );
    return { checked: results.length };
  }

  /** Each request's result, in order; one query per tenant (the batch key makes that one in all). */
  private async checkAll(requests: CheckRequest[]): Promise<CheckResult[]> {
    const results = new Map<CheckRequest, CheckResult>();
    for (const tenantId of new Set(requests.map((request) => request.tenantId))) {
      const ofTenant = requests.filter((request) => request.tenantId === tenantId);
      const shortages = await this.inventory.shortagesOfEach(
        tenantId,
        ofTenant.map((request) => request.lines),
      );
      for (const [index, request] of ofTenant.entries()) {
        const short = shortages[index];
        results.set(request, {
          orderId: request.orderId,
          tenantId,
          inStock: short.length === 0,
          shortages: short,
        });
      }
    }
    return requests.map((request) => results.get(request) as CheckResult);
  }
}
