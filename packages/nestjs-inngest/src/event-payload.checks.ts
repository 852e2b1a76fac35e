import { InngestEventPayloadError } from './inngest.errors';

/**
 * @internal Refuses, before anything is sent, what the SDK would otherwise send altered: a missing
 * name, a `data` that is not an object (the SDK turns `0`, `''` and `null` into `{}` and the server
 * refuses strings and arrays), and values JSON cannot carry (the SDK writes a cycle as the string
 * `"[Circular ~.0.data]"` and drops BigInts).
 */
export function assertSendableEvents(events: readonly unknown[]): void {
  for (const [index, event] of events.entries()) assertSendableEvent(event, index);
}

function assertSendableEvent(event: unknown, index: number): void {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InngestEventPayloadError(
      'event',
      undefined,
      index,
      `it is ${describe(event)}, not an event: send { name: 'order/created', data: { ... } }.`,
    );
  }
  const { name, data } = event as { name?: unknown; data?: unknown };
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InngestEventPayloadError(
      'name',
      undefined,
      index,
      `its \`name\` is ${describe(name)}: give the event name, a non-empty string such as 'order/created'.`,
    );
  }
  if (data === undefined) return; // the SDK sends {}
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InngestEventPayloadError(
      'data',
      name,
      index,
      `its \`data\` is ${describe(data)}, and Inngest event data must be an object: wrap the value, ` +
        `e.g. { name: '${name}', data: { ${Array.isArray(data) ? 'items' : 'value'}: ... } }.`,
    );
  }
  const problem = findUnsendable(data, 'data', []);
  if (problem) throw new InngestEventPayloadError(problem.path, name, index, problem.message);
}

interface Unsendable {
  path: string;
  message: string;
}

/** Walks `value` as JSON.stringify would; `ancestors` are the objects on the current path. */
function findUnsendable(value: unknown, path: string, ancestors: object[]): Unsendable | undefined {
  if (typeof value === 'bigint') {
    return {
      path,
      message: `\`${path}\` is a BigInt, which JSON cannot carry (the SDK would drop it): send it as a string or a number.`,
    };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  // JSON.stringify sends what toJSON returns (a Date's ISO string), not the object itself.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const cycleStart = ancestors.indexOf(value);
  if (cycleStart !== -1) {
    return {
      path,
      message:
        `\`data\` has a circular reference: \`${path}\` refers back to an object that contains it, and JSON ` +
        'cannot carry a cycle (the SDK would send the string "[Circular ...]" instead). Send a copy without ' +
        'the back-reference, or an id in its place.',
    };
  }
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const found = findUnsendable(value[i], `${path}[${i}]`, ancestors);
        if (found) return found;
      }
      return undefined;
    }
    for (const [key, child] of Object.entries(value)) {
      const found = findUnsendable(child, appendKey(path, key), ancestors);
      if (found) return found;
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}

/** `data.order`, `data.items[0]`, `data["line-items"]`. */
export function appendKey(path: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const text = String(key);
  return /^[A-Za-z_$][\w$]*$/.test(text) ? `${path}.${text}` : `${path}[${JSON.stringify(text)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'missing';
  return `a ${typeof value} (${String(value)})`;
}
