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
});
