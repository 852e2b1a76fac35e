import { createHash } from 'node:crypto';
import {
  BadRequestException,
  type CallHandler,
  ConflictException,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  UnprocessableEntityException,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { catchError, from, map, type Observable, of, switchMap } from 'rxjs';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';
import { PiiCipher, type Sealed } from '../privacy/pii-cipher';

/** The header that makes a POST safe to retry. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

interface HttpRequest {
  method: string;
  route?: { path: string };
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  tenant?: { id: string };
}

interface HttpResponse {
  statusCode: number;
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): void;
}

/**
 * `Idempotency-Key` for POST endpoints, as Stripe does it: the first request with a key runs and
 * its answer is stored; a retry with the same key and body gets that answer again (header
 * `idempotent-replayed: true`) without running twice; the same key with another body is refused
 * (422); a retry while the first is still running gets 409. A request that fails (bad input
 * included) frees its key, so nothing is stored for it. A request whose process died holds its key
 * only until its lease (`IDEMPOTENCY_LEASE_MS`) runs out: a retry then runs it again, and the
 * handler finds the work the first one committed (`OrdersService.place` returns the order stored
 * under the key), so the client gets the answer it missed.
 */
@Injectable()
export class Idempotent implements NestInterceptor {
  private readonly leaseMs: number;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SHOP_SETTINGS) settings: ShopSettings,
    private readonly cipher: PiiCipher,
  ) {
    this.leaseMs = settings.idempotencyLeaseMs;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined) return next.handle();
    if (key.length === 0 || key.length > 255) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'IDEMPOTENCY_KEY_INVALID',
        message: 'The Idempotency-Key header must be 1 to 255 characters, e.g. a UUID.',
      });
    }
    const tenantId = request.tenant?.id ?? '';
    const scope = `${request.method} ${request.route?.path ?? ''}`;
    const hash = createHash('sha256')
      .update(JSON.stringify(request.body ?? null))
      .digest('hex');
    const response = http.getResponse<HttpResponse>();

    return from(this.claim(tenantId, scope, key, hash)).pipe(
      switchMap((stored) => {
        if (stored) {
          response.status(stored.statusCode);
          response.setHeader('idempotent-replayed', 'true');
          return of(stored.body);
        }
        // Nest sets the status after interceptors: read it where Nest does (@HttpCode, else 201)
        const statusCode: number = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
        return next.handle().pipe(
          switchMap((body) =>
            from(this.complete(tenantId, scope, key, statusCode, body)).pipe(map(() => body)),
          ),
          catchError((error) =>
            from(this.release(tenantId, scope, key)).pipe(switchMap(() => Promise.reject(error))),
          ),
        );
      }),
    );
  }

  /**
   * Claims the key, or takes it over when the request that held it died (its lease ran out with no
   * answer stored); resolves with the stored answer when the key was answered before.
   */
  private async claim(
    tenantId: string,
    scope: string,
    key: string,
    hash: string,
  ): Promise<{ statusCode: number; body: unknown } | null> {
    const claimed = await this.db.query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, locked_until)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::double precision / 1000))
       ON CONFLICT (tenant_id, scope, key) DO UPDATE SET locked_until = EXCLUDED.locked_until
       WHERE idempotency_keys.status_code IS NULL
         AND idempotency_keys.request_hash = EXCLUDED.request_hash
         AND coalesce(idempotency_keys.locked_until, '-infinity') < now()
       RETURNING key`,
      [tenantId, scope, key, hash, this.leaseMs],
    );
    if (claimed.length > 0) return null;
    const [row] = await this.db.query<{
      request_hash: string;
      status_code: number | null;
      response: unknown;
    }>(
      'SELECT request_hash, status_code, response FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3',
      [tenantId, scope, key],
    );
    if (!row) return this.claim(tenantId, scope, key, hash);
    if (row.request_hash !== hash) {
      throw new UnprocessableEntityException({
        statusCode: 422,
        error: 'Unprocessable Entity',
        code: 'IDEMPOTENCY_KEY_REUSED',
        message:
          'This Idempotency-Key was used with a different request body. Use a new key for a new request.',
      });
    }
    if (row.status_code === null) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        code: 'IDEMPOTENCY_KEY_IN_USE',
        message: 'A request with this Idempotency-Key is still being processed. Retry in a moment.',
      });
    }
    // Answers are stored sealed: an order's answer holds the customer's contact.
    return { statusCode: row.status_code, body: this.cipher.open(row.response as Sealed<unknown>) };
  }

  private async complete(tenantId: string, scope: string, key: string, statusCode: number, body: unknown) {
    await this.db.query(
      'UPDATE idempotency_keys SET status_code = $4, response = $5 WHERE tenant_id = $1 AND scope = $2 AND key = $3',
      [tenantId, scope, key, statusCode, JSON.stringify(this.cipher.seal(body ?? null))],
    );
  }

  private async release(tenantId: string, scope: string, key: string) {
    await this.db.query('DELETE FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3', [
      tenantId,
      scope,
      key,
    ]);
  }
}
