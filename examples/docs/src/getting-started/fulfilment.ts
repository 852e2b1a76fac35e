import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { WarehouseService } from './warehouse.service.js';

@Injectable()
export class Fulfilment {
  constructor(private readonly warehouse: WarehouseService) {}

  @InngestFunction({ id: 'reserve-stock', triggers: { event: 'order/created' }, retries: 5 })
  async reserve({ event, step }: InngestContext<'order/created'>) {
    const reservation = await step.run('reserve', () => this.warehouse.reserve(event.data.orderId));
    await step.sleep('cool-off', '1s');
    return step.run('confirm', () => this.warehouse.confirm(reservation.id));
  }
}
