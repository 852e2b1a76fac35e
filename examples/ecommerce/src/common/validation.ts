import { type ArgumentMetadata, BadRequestException, StandardSchemaValidationPipe } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { unstorableText } from './storable-text';

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

const toFieldErrors = (issues: readonly StandardSchemaV1.Issue[]): FieldError[] =>
  issues.map((issue) => ({ field: fieldOf(issue), message: issue.message }));

/**
 * Nest 12's Standard Schema pipe with the shop's error shape: `@Body({ schema })` takes a zod
 * schema, and every issue becomes `{ field, message }`. First, for every body, query and route
 * parameter (with a schema or not), it refuses text that cannot be stored: a NUL or a lone
 * surrogate anywhere. Runs before the handler, so invalid input never reaches a service and
 * nothing is stored.
 */
class ShopValidationPipe extends StandardSchemaValidationPipe {
  constructor() {
    super({ exceptionFactory: (issues) => new InvalidInputException(toFieldErrors(issues)) });
  }

  override async transform<T>(value: T, metadata: ArgumentMetadata): Promise<T> {
    // custom decorators (the tenant) carry what the shop resolved, not what the client sent
    if (metadata.type === 'custom') return value;
    const unstorable = unstorableText(value, metadata.data ? [metadata.data] : []);
    if (unstorable.length === 0) return super.transform(value, metadata);
    // report the schema's issues in the same answer, so the client fixes everything at once
    const result = metadata.schema ? await metadata.schema['~standard'].validate(value) : undefined;
    throw new InvalidInputException([...unstorable, ...toFieldErrors(result?.issues ?? [])]);
  }
}

/** The shop's global validation pipe (see `ShopValidationPipe`). */
export function createValidationPipe(): StandardSchemaValidationPipe {
  return new ShopValidationPipe();
}
