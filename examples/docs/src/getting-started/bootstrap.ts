import { NestFactory } from '@nestjs/core';
import { InngestService } from '@sagaline/nestjs-inngest';
import { AppModule } from './app.module.js';

export async function bootstrap(port: number | string) {
  const app = await NestFactory.create(AppModule);
  await app.listen(port);
  const { ids } = await app
    .get(InngestService)
    .send({ name: 'order/created', data: { orderId: 'o-1', total: 10 } });
  return { app, eventId: ids[0] };
}
