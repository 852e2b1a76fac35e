import {
  BadRequestException,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TENANT_HEADER, type TenantConfig } from '../config/tenants';
import { TenantRegistry } from './tenant.registry';

/** Marks a controller or route that serves every tenant at once (health, metrics). */
export const WithoutTenant = Reflector.createDecorator<true>({ transform: () => true });

interface RequestWithTenant {
  headers: Record<string, string | string[] | undefined>;
  tenant?: TenantConfig;
}

/**
 * Resolves the tenant of every request from the `x-tenant-id` header, before anything else runs.
 * A request without the header is for the default tenant (`DEFAULT_TENANT`), or, with
 * `REQUIRE_TENANT_HEADER=true`, gets 400 `TENANT_MISSING`; an unknown tenant gets 400
 * `TENANT_UNKNOWN`. Either way it never reaches a handler.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tenants: TenantRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride(WithoutTenant, [context.getHandler(), context.getClass()]))
      return true;
    const request = context.switchToHttp().getRequest<RequestWithTenant>();
    const header = request.headers[TENANT_HEADER];
    const tenantId = Array.isArray(header) ? header[0] : header;
    if (!tenantId) {
      if (!this.tenants.defaultTenant) {
        throw new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          code: 'TENANT_MISSING',
          message: `Missing ${TENANT_HEADER} header: this shop requires every request to name its tenant (e.g. ${TENANT_HEADER}: acme).`,
        });
      }
      request.tenant = this.tenants.defaultTenant;
      return true;
    }
    const tenant = this.tenants.find(tenantId);
    if (!tenant) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'TENANT_UNKNOWN',
        message: `Unknown tenant "${tenantId}" in the ${TENANT_HEADER} header.`,
      });
    }
    request.tenant = tenant;
    return true;
  }
}

/** The tenant the request is for, as resolved by `TenantGuard`. */
export const CurrentTenant = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TenantConfig =>
    context.switchToHttp().getRequest<RequestWithTenant>().tenant as TenantConfig,
);
