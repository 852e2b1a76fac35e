import { Injectable } from '@nestjs/common';
import type { InngestFunction as SdkFunction } from 'inngest';
import { DuplicateInngestFunctionError, LateRegistrationError } from './inngest.errors';

/** A function the app serves, with where it was declared. */
export interface RegisteredInngestFunction {
  /** The function id within the app. */
  readonly id: string;
  /** Where it was declared, e.g. `Receipts.send`. */
  readonly source: string;
  /** The Inngest function object. */
  readonly fn: SdkFunction.Any;
}

/**
 * Every function the serve endpoint serves. `@InngestFunction` methods are added at start-up;
 * other packages (such as `@sagaline/saga`) add the functions they build in their `onModuleInit`.
 */
@Injectable()
export class InngestFunctionRegistry {
  private readonly byId = new Map<string, RegisteredInngestFunction>();
  private sealed = false;

  /**
   * Adds a function. Throws `DuplicateInngestFunctionError` when its id is taken, and
   * `LateRegistrationError` once the serve endpoint has been built.
   */
  register(fn: SdkFunction.Any, source: string): void {
    const id = fn.id();
    if (this.sealed) throw new LateRegistrationError(id);
    const existing = this.byId.get(id);
    if (existing) throw new DuplicateInngestFunctionError(id, existing.source, source);
    this.byId.set(id, { id, source, fn });
  }

  /** The registered functions, in registration order. */
  list(): RegisteredInngestFunction[] {
    return [...this.byId.values()];
  }

  /** @internal Freezes the set once the serve endpoint is built from it. */
  seal(): SdkFunction.Any[] {
    this.sealed = true;
    return this.list().map((entry) => entry.fn);
  }
}
