import { describe, expect, it } from 'vitest';
import { loadShopConfig, ShopConfigError } from '../../src/config/shop-config';

describe('loadShopConfig', () => {
  it('runs on a fresh machine with no variables: port 3000, PGlite, simulators, demo tenants', () => {
    const config = loadShopConfig({});
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      smtpUrl: undefined,
      paymentGatewayUrl: undefined,
      redisUrl: undefined,
      breakerKeyPrefix: 'shop:circuit',
    });
    expect(config.tenants.map((tenant) => tenant.id)).toEqual(['acme', 'globex']);
  });

  it('reads the infrastructure from the usual variables', () => {
    const config = loadShopConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SMTP_URL: 'smtp://mail.internal:25',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
      redisUrl: 'redis://127.0.0.1:6379',
      smtpUrl: 'smtp://mail.internal:25',
    });
  });

  it('names every bad variable and what to use instead', () => {
    try {
      loadShopConfig({ PORT: 'eighty', BACKORDER_TIMEOUT: 'soon' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ShopConfigError);
      expect((error as ShopConfigError).code).toBe('SHOP_CONFIG_INVALID');
      expect((error as ShopConfigError).issues.map((issue) => issue.variable)).toEqual([
        'PORT',
        'BACKORDER_TIMEOUT',
      ]);
      expect((error as Error).message).toContain('e.g. 30s, 2m');
    }
  });

  it('reports TENANTS that are not JSON', () => {
    expect(() => loadShopConfig({ TENANTS: '{nope' })).toThrow(/TENANTS: not valid JSON/);
  });

  it('serves requests without a tenant header as the first tenant, unless told otherwise', () => {
    expect(loadShopConfig({})).toMatchObject({ defaultTenant: 'acme', requireTenantHeader: false });
    expect(loadShopConfig({ DEFAULT_TENANT: 'globex' }).defaultTenant).toBe('globex');
    expect(loadShopConfig({ REQUIRE_TENANT_HEADER: 'true' }).requireTenantHeader).toBe(true);
  });

  it('refuses a default tenant that is not configured, naming the tenants there are', () => {
    expect(() => loadShopConfig({ DEFAULT_TENANT: 'initech' })).toThrow(
      'DEFAULT_TENANT: no tenant "initech"; name one of acme, globex',
    );
  });

  it('refuses a REQUIRE_TENANT_HEADER that is not a yes or a no', () => {
    expect(() => loadShopConfig({ REQUIRE_TENANT_HEADER: 'sometimes' })).toThrow(/REQUIRE_TENANT_HEADER/);
  });

  it('gives tenants of TENANTS no customer accounts unless they list some', () => {
    const [tenant] = loadShopConfig({
      TENANTS: JSON.stringify([
        {
          id: 'solo',
          name: 'Solo',
          currency: 'JPY',
          fraudLimit: 1_000_000,
          notificationChannels: ['email'],
          catalog: [{ id: 'tea', name: 'Tea', unitPrice: 500, initialStock: 3 }],
        },
      ]),
    }).tenants;
    expect(tenant.customers).toEqual([]);
  });

  it("alerts through the simulators' sink, and calls a saga stalled after 10 min, scanning every minute, by default", () => {
    expect(loadShopConfig({})).toMatchObject({
      alertWebhookUrl: undefined,
      alertWebhookTimeoutMs: 5_000,
      sagaStallAfterMs: 600_000,
      sagaStallScan: '* * * * *',
    });
  });

  it('reads the alert webhook, its timeout, the stall time and the scan schedule', () => {
    expect(
      loadShopConfig({
        ALERT_WEBHOOK_URL: 'https://alerts.example.com/hooks/shop',
        ALERT_WEBHOOK_TIMEOUT_MS: '1500',
        SAGA_STALL_AFTER: '90s',
        SAGA_STALL_SCAN: 'TZ=Europe/Paris 0,30 * * * * *',
      }),
    ).toMatchObject({
      alertWebhookUrl: 'https://alerts.example.com/hooks/shop',
      alertWebhookTimeoutMs: 1_500,
      sagaStallAfterMs: 90_000,
      sagaStallScan: 'TZ=Europe/Paris 0,30 * * * * *',
    });
    expect(loadShopConfig({ ALERT_WEBHOOK_URL: '' }).alertWebhookUrl).toBeUndefined();
  });

  it('refuses an alert webhook that is not an http(s) URL, a stall time without a unit and a schedule that is no cron', () => {
    try {
      loadShopConfig({
        ALERT_WEBHOOK_URL: 'mailto:ops@example.com',
        SAGA_STALL_AFTER: '10',
        SAGA_STALL_SCAN: 'every minute',
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ShopConfigError).issues).toEqual([
        {
          variable: 'ALERT_WEBHOOK_URL',
          message: 'use an http(s) URL, e.g. https://alerts.example.com/hooks/shop',
        },
        { variable: 'SAGA_STALL_AFTER', message: 'use a number and a unit, e.g. 30s, 10m, 1h' },
        {
          variable: 'SAGA_STALL_SCAN',
          message:
            'use a cron expression of 5 fields, or 6 with seconds first, e.g. `* * * * *` (every minute)',
        },
      ]);
    }
  });
});
