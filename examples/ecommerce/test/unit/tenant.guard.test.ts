import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { loadShopConfig } from '../../src/config/shop-config';
import type { ShopSettings } from '../../src/config/shop-config.provider';
import type { TenantConfig } from '../../src/config/tenants';
import { TenantGuard } from '../../src/tenancy/tenant.guard';
import { TenantRegistry } from '../../src/tenancy/tenant.registry';

/** The guard as the shop builds it from these environment variables. */
function guardFor(env: Record<string, string>) {
  const settings = loadShopConfig(env) as ShopSettings;
  return new TenantGuard(new Reflector(), new TenantRegistry(settings));
}

/** Runs the guard on a request with these headers; resolves with the tenant it set, or the error. */
function resolve(guard: TenantGuard, headers: Record<string, string>) {
  const request: { headers: Record<string, string>; tenant?: TenantConfig } = { headers };
  class AnyController {
    handle() {}
  }
  const context = {
    getHandler: () => AnyController.prototype.handle,
    getClass: () => AnyController,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  try {
    guard.canActivate(context);
    return request.tenant?.id;
  } catch (error) {
    return (error as { getResponse(): { code: string } }).getResponse().code;
  }
}

describe('TenantGuard', () => {
  it('serves a request without the header as the default tenant', () => {
    expect(resolve(guardFor({}), {})).toBe('acme');
    expect(resolve(guardFor({ DEFAULT_TENANT: 'globex' }), {})).toBe('globex');
  });

  it('serves the tenant the header names', () => {
    expect(resolve(guardFor({}), { 'x-tenant-id': 'globex' })).toBe('globex');
  });

  it('refuses a request without the header when the header is required', () => {
    const strict = guardFor({ REQUIRE_TENANT_HEADER: 'true' });
    expect(resolve(strict, {})).toBe('TENANT_MISSING');
    expect(resolve(strict, { 'x-tenant-id': 'acme' })).toBe('acme');
  });

  it('refuses an unknown tenant', () => {
    expect(resolve(guardFor({}), { 'x-tenant-id': 'initech' })).toBe('TENANT_UNKNOWN');
  });
});
