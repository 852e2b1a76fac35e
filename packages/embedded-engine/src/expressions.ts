import { parse } from '@marcbachmann/cel-js';

type Compiled = (context: Record<string, unknown>) => unknown;
const compiled = new Map<string, Compiled | null>();

function compile(expression: string): Compiled | null {
  let fn = compiled.get(expression);
  if (fn === undefined) {
    try {
      fn = parse(expression) as Compiled;
    } catch {
      fn = null;
    }
    compiled.set(expression, fn);
  }
  return fn;
}

/**
 * @internal Evaluates a CEL expression (`event.data.total > 100`) with `@marcbachmann/cel-js`.
 * As in Inngest, an expression that cannot be evaluated (a missing field, a type mismatch) does
 * not match.
 */
export function celMatches(expression: string, context: Record<string, unknown>): boolean {
  try {
    return compile(expression)?.(context) === true;
  } catch {
    return false;
  }
}

/** @internal Evaluates a CEL expression to a value (concurrency keys); `undefined` on error. */
export function celValue(expression: string, context: Record<string, unknown>): unknown {
  try {
    const value = compile(expression)?.(context);
    return typeof value === 'bigint' ? Number(value) : value;
  } catch {
    return undefined;
  }
}

/** @internal Whether a CEL expression parses. */
export function celIsValid(expression: string): boolean {
  return compile(expression) !== null;
}

/**
 * @internal Whether an event name matches a trigger name: exact, or a wildcard after a `/` or a `.`
 * (`order/*`, `order.*`), as the server matches them; `c/mid*` matches only itself.
 */
export function eventNameMatches(trigger: string, name: string): boolean {
  if (trigger === name) return true;
  const wildcard = trigger.endsWith('/*') || trigger.endsWith('.*');
  return wildcard && trigger.length > 2 && name.startsWith(trigger.slice(0, -1));
}
