// The README's Redis example as an app of its own, run as a child process by
// redis-lifecycle.test.ts: it starts, uses a breaker on the real Redis (pushed trips subscribed),
// closes, and must then exit by itself, with no connection left open.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CircuitBreakerModule, CircuitBreakerService, UseCircuitBreaker } from '../../src';

@Injectable()
class PaymentGatewayClient {
  @UseCircuitBreaker('payment-gateway')
  charge(card: string) {
    return `charged ${card}`;
  }
}

@Module({
  imports: [
    CircuitBreakerModule.forRoot({
      isGlobal: true,
      store: {
        redis: { url: process.env.REDIS_URL },
        keyPrefix: process.env.CIRCUIT_KEY_PREFIX,
        mode: 'hybrid',
      },
      defaults: { slidingWindowSize: 20, minimumNumberOfCalls: 10, waitDurationInOpenState: 30_000 },
      breakers: { 'payment-gateway': { timeoutMs: 2000 } },
    }),
  ],
  providers: [PaymentGatewayClient],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const charged = await app.get(PaymentGatewayClient).charge('4242');
const breakers = app.get(CircuitBreakerService);
await breakers.breaker('payment-gateway').ready(); // the subscriber connection is live
await breakers.forceOpen('payment-gateway'); // written to Redis through the module's connection
await app.close();
process.stdout.write(`${JSON.stringify({ charged, closed: true })}\n`);
