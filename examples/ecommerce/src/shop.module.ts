import { type DynamicModule, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { CircuitBreakerModule } from '@sagaline/circuit-breaker';
import { EventStore, EventStoreModule } from '@sagaline/event-store';
import { InngestModule } from '@sagaline/nestjs-inngest';
import { SagaModule } from '@sagaline/saga';
import { alertingProviders } from './alerts/alerting.providers';
import { AnalyticsController } from './analytics/analytics.controller';
import { AnalyticsService } from './analytics/analytics.service';
import { DomainErrorFilter } from './common/domain-error.filter';
import { Idempotent } from './common/idempotency.interceptor';
import { createValidationPipe } from './common/validation';
import { SHOP_SETTINGS, type ShopSettings } from './config/shop-config.provider';
import { shopDashboard } from './dashboard/shop-dashboard';
import type { Database } from './database/database';
import { DATABASE, DatabaseModule } from './database/database.module';
import { createRunStore } from './engine-store';
import { eventStoreOptions, shopInngestAudit } from './events/shop-event-store';
import { ExperimentsService } from './experiments/experiments.service';
import { HealthController } from './health/health.controller';
import { BreakerRedis } from './integrations/breaker-redis';
import { circuitBreakerOptions } from './integrations/circuit-breakers';
import { InventoryController } from './inventory/inventory.controller';
import { InventoryService } from './inventory/inventory.service';
import { InventoryCheck } from './inventory/inventory-check';
import { HttpMetricsInterceptor } from './metrics/http-metrics.interceptor';
import { MetricsController } from './metrics/metrics.controller';
import { ShopMetrics } from './metrics/shop-metrics';
import { NotificationsService } from './notifications/notifications.service';
import { createBackorderSaga } from './orders/backorder.saga';
import { BulkOrdersService } from './orders/bulk-orders.service';
import { OrderSaga } from './orders/order.saga';
import { OrderCancellation } from './orders/order-cancellation';
import { OrderIntake } from './orders/order-intake';
import { OrderSteps } from './orders/order-steps';
import { OrdersController } from './orders/orders.controller';
import { OrdersRepository } from './orders/orders.repository';
import { OrdersService } from './orders/orders.service';
import { SagaOutcomes } from './orders/saga-outcomes';
import { OutboxRelay } from './outbox/outbox-relay';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsRepository } from './payments/payments.repository';
import { PaymentsService } from './payments/payments.service';
import { inngestEncryption } from './privacy/inngest-encryption';
import { PaymentTokenVault } from './privacy/payment-token-vault';
import { PiiCipher } from './privacy/pii-cipher';
import { piiCipherFor } from './privacy/privacy.providers';
import { ShippingService } from './shipping/shipping.service';
import { TenantGuard } from './tenancy/tenant.guard';
import { TenantRegistry } from './tenancy/tenant.registry';

/** Puts each tenant's opening stock in place once the database is ready. */
@Injectable()
class CatalogSeeder implements OnApplicationBootstrap {
  constructor(
    private readonly tenants: TenantRegistry,
    private readonly inventory: InventoryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const tenant of this.tenants.all()) await this.inventory.seed(tenant);
  }
}

/** Options for tests: engine options passed through to `EmbeddedEngine.start()` (clock, ...). */
export interface ShopModuleOptions {
  engine?: Record<string, unknown>;
}

/** The shop: orders, inventory, payments, shipping, notifications, analytics, on Inngest. */
@Module({})
export class ShopModule {
  static forRoot(settings: ShopSettings, options: ShopModuleOptions = {}): DynamicModule {
    const cipher = piiCipherFor(settings);
    return {
      module: ShopModule,
      // global, so that DatabaseModule and the Inngest and breaker factories see these
      global: true,
      exports: [SHOP_SETTINGS, ShopMetrics],
      imports: [
        EventStoreModule.forRootAsync({
          isGlobal: true,
          inject: [DATABASE],
          useFactory: (db: Database) => eventStoreOptions(settings, db),
        }),
        InngestModule.forRootAsync({
          isGlobal: true,
          inject: [EventStore],
          useFactory: async (store: EventStore) => ({
            appId: 'shop',
            middleware: [inngestEncryption(cipher), shopInngestAudit(store)],
            embedded: {
              store: await createRunStore(settings),
              retryBackoffScale: settings.engineRetryBackoffScale,
              ...options.engine,
            },
          }),
        }),
        SagaModule.forRoot({}),
        CircuitBreakerModule.forRootAsync({
          // BreakerRedis is provided inside the breaker module, so it is closed after the breakers
          provideInjectionTokensFrom: [
            { provide: BreakerRedis, useFactory: () => BreakerRedis.connect(settings.redisUrl) },
          ],
          inject: [BreakerRedis, ShopMetrics],
          useFactory: (redis: BreakerRedis, metrics: ShopMetrics) =>
            circuitBreakerOptions(settings, metrics.registry, redis.client),
        }),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: settings.throttleTtlMs, limit: settings.throttleLimit }],
        }),
        TerminusModule,
        DatabaseModule,
        shopDashboard(),
      ],
      controllers: [
        OrdersController,
        InventoryController,
        PaymentsController,
        AnalyticsController,
        HealthController,
        MetricsController,
      ],
      providers: [
        { provide: SHOP_SETTINGS, useValue: settings },
        { provide: PiiCipher, useValue: cipher },
        PaymentTokenVault,
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: TenantGuard },
        { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        TenantRegistry,
        ShopMetrics,
        Idempotent,
        CatalogSeeder,
        InventoryService,
        PaymentsRepository,
        PaymentsService,
        ShippingService,
        NotificationsService,
        ExperimentsService,
        AnalyticsService,
        OrdersRepository,
        OutboxRelay,
        OrdersService,
        BulkOrdersService,
        OrderSteps,
        OrderIntake,
        InventoryCheck,
        OrderSaga,
        createBackorderSaga(settings),
        SagaOutcomes,
        ...alertingProviders(settings),
        OrderCancellation,
      ],
    };
  }
}
