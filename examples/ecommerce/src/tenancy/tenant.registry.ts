import { Inject, Injectable } from '@nestjs/common';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import type { Product, TenantConfig } from '../config/tenants';

/** The configured tenants, by id, and the one a request without a tenant header is for. */
@Injectable()
export class TenantRegistry {
  private readonly tenants: Map<string, TenantConfig>;
  /** The tenant of requests that name none; undefined when the header is required. */
  readonly defaultTenant: TenantConfig | undefined;

  constructor(@Inject(SHOP_SETTINGS) settings: ShopSettings) {
    this.tenants = new Map(settings.tenants.map((tenant) => [tenant.id, tenant]));
    // loadShopConfig has checked that the default tenant is configured
    this.defaultTenant = settings.requireTenantHeader ? undefined : this.tenants.get(settings.defaultTenant);
  }

  /** The tenant with this id, if configured. */
  find(tenantId: string): TenantConfig | undefined {
    return this.tenants.get(tenantId);
  }

  /** Every tenant. */
  all(): TenantConfig[] {
    return [...this.tenants.values()];
  }

  /** A product of the tenant's catalog, if it sells it. */
  product(tenant: TenantConfig, productId: string): Product | undefined {
    return tenant.catalog.find((product) => product.id === productId);
  }
}
