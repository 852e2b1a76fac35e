import { Module } from '@nestjs/common';
import { InngestModule } from '@sagaline/nestjs-inngest';
import { Fulfilment } from './fulfilment.js';
import { WarehouseService } from './warehouse.service.js';

declare module '@sagaline/nestjs-inngest' {
  interface InngestEvents {
    'order/created': { orderId: string; total: number };
  }
}

@Module({
  imports: [InngestModule.forRoot({ appId: 'shop', isGlobal: true })],
  providers: [WarehouseService, Fulfilment],
})
export class AppModule {}
