import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { ShopMetrics } from './shop-metrics';

/** Times every HTTP request into `http_request_duration_seconds`, labelled by route pattern, not URL. */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: ShopMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<{ method: string; route?: { path: string } }>();
    const stop = this.metrics.httpRequests.startTimer({
      method: request.method,
      route: request.route?.path ?? 'unknown',
    });
    return next.handle().pipe(
      tap({
        next: () => stop({ status: http.getResponse<{ statusCode: number }>().statusCode }),
        error: (error: unknown) => stop({ status: error instanceof HttpException ? error.getStatus() : 500 }),
      }),
    );
  }
}
