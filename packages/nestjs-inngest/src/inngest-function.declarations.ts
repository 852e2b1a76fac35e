import type { InngestFunctionOptions } from './inngest-function.decorator';

/** @internal An `@InngestFunction` as declared, whether or not any app provides its class. */
export interface InngestFunctionDeclaration {
  /** The class whose method is decorated. */
  readonly declaringClass: abstract new (
    ...args: never[]
  ) => unknown;
  readonly methodName: string;
  readonly options: InngestFunctionOptions;
}

// Shared through the global registry of symbols, so that the ESM and the CJS copy of the package,
// when both are loaded, see one list.
const DECLARATIONS = Symbol.for('sagaline:inngest:function-declarations');

function declarations(): InngestFunctionDeclaration[] {
  const store = globalThis as { [DECLARATIONS]?: InngestFunctionDeclaration[] };
  store[DECLARATIONS] ??= [];
  return store[DECLARATIONS];
}

/** @internal Called by `@InngestFunction` as each class is defined. */
export function recordDeclaration(
  prototype: object,
  methodName: string,
  options: InngestFunctionOptions,
): void {
  const declaringClass = (prototype as { constructor?: unknown }).constructor;
  if (typeof declaringClass !== 'function') return;
  declarations().push({
    declaringClass: declaringClass as InngestFunctionDeclaration['declaringClass'],
    methodName,
    options,
  });
}

/**
 * @internal The declarations whose class is not among `providedClasses` nor a base class of one:
 * their class was defined (its file imported) but no module of this app lists it in `providers`,
 * so Nest never instantiated it and its functions are not served.
 */
export function declarationsNotProvided(
  providedClasses: ReadonlySet<Function>,
): InngestFunctionDeclaration[] {
  const provided = [...providedClasses];
  return declarations().filter(
    ({ declaringClass }) =>
      !provided.some((cls) => cls === declaringClass || cls.prototype instanceof declaringClass),
  );
}

/** @internal `Receipts.send` for a declaration. */
export function declarationSource(declaration: InngestFunctionDeclaration): string {
  return `${declaration.declaringClass.name}.${declaration.methodName}`;
}
