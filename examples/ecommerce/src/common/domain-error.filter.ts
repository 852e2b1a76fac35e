import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/** HTTP status for each domain error code the services throw. */
const STATUS_BY_CODE: Record<string, number> = {
  ORDER_NOT_FOUND: HttpStatus.NOT_FOUND,
  PAYMENT_NOT_FOUND: HttpStatus.NOT_FOUND,
  RESERVATION_NOT_FOUND: HttpStatus.NOT_FOUND,
  OUT_OF_STOCK: HttpStatus.CONFLICT,
  PAYMENT_DECLINED: HttpStatus.PAYMENT_REQUIRED,
  PAYMENT_GATEWAY_ERROR: HttpStatus.SERVICE_UNAVAILABLE,
  SERVICE_UNREACHABLE: HttpStatus.SERVICE_UNAVAILABLE,
  CIRCUIT_OPEN: HttpStatus.SERVICE_UNAVAILABLE,
  // the provider is limiting us, or refused the request: its fault or ours, not the client's
  SERVICE_RATE_LIMITED: HttpStatus.SERVICE_UNAVAILABLE,
  SERVICE_REFUSED: HttpStatus.BAD_GATEWAY,
  PAYMENT_TOKEN_GONE: HttpStatus.CONFLICT,
};

/**
 * Turns the services' errors into HTTP answers by their stable `code`
 * (`{ statusCode, error, code, message }`), so services stay free of HTTP; anything else goes to
 * Nest's default handling.
 */
@Catch()
export class DomainErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const code = (exception as { code?: unknown })?.code;
    const status = typeof code === 'string' ? STATUS_BY_CODE[code] : undefined;
    if (exception instanceof HttpException || status === undefined) {
      if (!(exception instanceof HttpException)) this.logger.error(exception);
      super.catch(exception, host);
      return;
    }
    const response = host.switchToHttp().getResponse();
    const { message, name: _name, stack: _stack, ...facts } = exception as Error & Record<string, unknown>;
    response.status(status).json({
      statusCode: status,
      error: HttpStatus[status],
      code,
      message,
      ...facts,
    });
  }
}
