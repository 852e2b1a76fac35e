import { BadRequestException, StandardSchemaValidationPipe } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** One invalid field of a request: where it is (`items.0.quantity`) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every 400 the shop answers for bad input. */
export interface ValidationErrorBody {
  statusCode: 400;
  error: 'Bad Request';
  code: 'VALIDATION_FAILED';
  message: string;
  errors: FieldError[];
}

/** A 400 that names each bad field; thrown by the validation pipe and by the services' own checks. */
export class InvalidInputException extends BadRequestException {
  constructor(readonly errors: FieldError[]) {
    super({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: `Invalid request: ${errors.map((error) => `${error.field || '(body)'}: ${error.message}`).join('; ')}`,
      errors,
    } satisfies ValidationErrorBody);
  }
}

function fieldOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.');
}

/**
 * Nest 12's Standard Schema pipe with the shop's error shape: `@Body({ schema })` takes a zod
 * schema, and every issue becomes `{ field, message }`. Runs before the handler, so invalid input
 * never reaches a service and nothing is stored.
 */
export function createValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues) =>
      new InvalidInputException(issues.map((issue) => ({ field: fieldOf(issue), message: issue.message }))),
  });
}
