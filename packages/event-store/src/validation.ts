import { v7 as uuidv7 } from 'uuid';
import { decodeCheckpoint } from './checkpoint';
import {
  ALL_TENANTS,
  type AppendOptions,
  DEFAULT_TENANT,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
} from './event.types';
import { EventStoreValidationError } from './event-store.errors';

/** @internal An event checked and serialised once, ready for any adapter. */
export interface PreparedEvent {
  id: string;
  type: string;
  schemaVersion: number;
  /** JSON text of `data` and `metadata`: what the SQL adapters send, what memory parses back. */
  data: string;
  metadata: string;
  /** The store gave the id: no earlier append can have stored it, so the append cannot be a replay. */
  generatedId: boolean;
}

const fail = (field: string, message: string): never => {
  throw new EventStoreValidationError(field, message);
};

function rejectUnknownKeys(value: object, known: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${field}.${key}`, `is not a known option; known: ${known.join(', ')}.`);
  }
}

function serialise(value: unknown, field: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    fail(
      field,
      `cannot be stored as JSON (${(error as Error).message}). Store plain objects, arrays, strings, numbers, booleans and null.`,
    );
  }
  if (json === undefined)
    fail(
      field,
      `cannot be stored as JSON (it is ${typeof value}). Store plain objects, arrays, strings, numbers, booleans and null.`,
    );
  // PostgreSQL's jsonb cannot hold NUL; refusing it here keeps every adapter's behaviour the same.
  if ((json as string).includes('\\u0000'))
    fail(
      field,
      'contains a NUL character (\\u0000), which PostgreSQL cannot store in JSON. Remove it or encode the value.',
    );
  return json as string;
}

const positiveInteger = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 1;

/** @internal */
export function checkStreamId(streamId: unknown): string {
  if (typeof streamId !== 'string' || streamId.trim() === '')
    fail('streamId', 'must be a non-empty string, such as "order-42".');
  if ((streamId as string).length > 512) fail('streamId', 'must be at most 512 characters.');
  return streamId as string;
}

/** @internal */
export function checkTenant(tenantId: unknown, field: string, allowAll = false): string {
  if (tenantId === undefined) return DEFAULT_TENANT;
  if (typeof tenantId !== 'string' || tenantId.trim() === '') fail(field, 'must be a non-empty string.');
  if (tenantId === ALL_TENANTS && !allowAll)
    fail(field, `"${ALL_TENANTS}" (all tenants) is only for readAll and subscriptions; name one tenant.`);
  return tenantId as string;
}

const EVENT_KEYS = ['type', 'data', 'id', 'metadata', 'schemaVersion'] as const;

/** @internal Checks and serialises an append's events; throws before anything is written. */
export function prepareEvents(
  input: NewEvent | NewEvent[],
  latestSchemaVersion: (type: string) => number,
): PreparedEvent[] {
  const events = Array.isArray(input) ? input : [input];
  if (events.length === 0) fail('events', 'must hold at least one event.');
  const seen = new Set<string>();
  return events.map((event, index) => {
    const field = `events[${index}]`;
    if (event === null || typeof event !== 'object') fail(field, 'must be an object with `type` and `data`.');
    rejectUnknownKeys(event, EVENT_KEYS, field);
    if (typeof event.type !== 'string' || event.type.trim() === '')
      fail(`${field}.type`, 'must be a non-empty string, such as "order.created".');
    if (!('data' in event)) fail(`${field}.data`, 'is required (use null for an event without a payload).');
    const id = event.id ?? uuidv7();
    if (typeof id !== 'string' || id.trim() === '' || id.length > 200)
      fail(
        `${field}.id`,
        'must be a non-empty string of at most 200 characters (a UUID, or an Inngest event id).',
      );
    if (seen.has(id))
      fail(`${field}.id`, `"${id}" appears twice in this append; every event needs its own id.`);
    seen.add(id);
    if (
      event.metadata !== undefined &&
      (event.metadata === null || typeof event.metadata !== 'object' || Array.isArray(event.metadata))
    )
      fail(`${field}.metadata`, 'must be an object such as { correlationId: "..." }.');
    const schemaVersion = event.schemaVersion ?? latestSchemaVersion(event.type);
    if (!positiveInteger(schemaVersion))
      fail(`${field}.schemaVersion`, 'must be a whole number of at least 1.');
    return {
      id,
      type: event.type,
      schemaVersion,
      data: serialise(event.data, `${field}.data`),
      metadata: event.metadata === undefined ? '{}' : serialise(event.metadata, `${field}.metadata`),
      generatedId: id !== event.id,
    };
  });
}

/** @internal Encodes an expected version for the adapters: null any, -1 no_stream, -2 stream_exists. */
export function checkAppendOptions(options: AppendOptions | undefined): {
  expected: number | null;
  tenantId: string;
} {
  if (options === undefined) return { expected: null, tenantId: DEFAULT_TENANT };
  rejectUnknownKeys(options, ['expectedVersion', 'tenantId'], 'options');
  return {
    expected: encodeExpected(options.expectedVersion),
    tenantId: checkTenant(options.tenantId, 'options.tenantId'),
  };
}

function encodeExpected(expected: ExpectedVersion | undefined): number | null {
  if (expected === undefined || expected === 'any') return null;
  if (expected === 'no_stream') return -1;
  if (expected === 'stream_exists') return -2;
  if (!Number.isSafeInteger(expected) || (expected as number) < 0)
    fail('options.expectedVersion', "must be a version (0 or more), 'any', 'no_stream' or 'stream_exists'.");
  return expected as number;
}

/** @internal */
export function decodeExpected(expected: number): number | 'no_stream' | 'stream_exists' {
  return expected === -1 ? 'no_stream' : expected === -2 ? 'stream_exists' : expected;
}

/** @internal The stream's version if `expected` holds for a stream at `actual`, else null. */
export function expectationHolds(expected: number | null, actual: number): boolean {
  if (expected === null) return true;
  if (expected === -1) return actual === 0;
  if (expected === -2) return actual > 0;
  return expected === actual;
}

/** @internal */
export interface CheckedReadStream {
  tenantId: string;
  backward: boolean;
  from: number | null;
  to: number | null;
  maxCount: number | null;
}

/** @internal */
export function checkReadStreamOptions(options: ReadStreamOptions | undefined): CheckedReadStream {
  const o = options ?? {};
  rejectUnknownKeys(o, ['tenantId', 'direction', 'from', 'to', 'maxCount'], 'options');
  if (o.direction !== undefined && o.direction !== 'forward' && o.direction !== 'backward')
    fail('options.direction', "must be 'forward' or 'backward'.");
  for (const key of ['from', 'to', 'maxCount'] as const) {
    if (o[key] !== undefined && !positiveInteger(o[key]))
      fail(`options.${key}`, 'must be a whole number of at least 1.');
  }
  return {
    tenantId: checkTenant(o.tenantId, 'options.tenantId'),
    backward: o.direction === 'backward',
    from: o.from ?? null,
    to: o.to ?? null,
    maxCount: o.maxCount ?? null,
  };
}

/** @internal */
export interface CheckedReadAll {
  tenantId: string;
  after: { transaction: string; position: string } | null;
  maxCount: number;
  types: string[] | null;
}

/** @internal */
export function checkReadAllOptions(options: ReadAllOptions | undefined): CheckedReadAll {
  const o = options ?? {};
  rejectUnknownKeys(o, ['after', 'maxCount', 'types', 'tenantId'], 'options');
  let after: CheckedReadAll['after'] = null;
  if (o.after !== undefined) {
    after = typeof o.after === 'string' ? decodeCheckpoint(o.after) : null;
    if (!after)
      fail(
        'options.after',
        "must be a checkpoint from an event or an earlier readAll (two 20-digit numbers joined by ':').",
      );
  }
  if (o.maxCount !== undefined && !positiveInteger(o.maxCount))
    fail('options.maxCount', 'must be a whole number of at least 1.');
  if (
    o.types !== undefined &&
    (!Array.isArray(o.types) || o.types.some((t) => typeof t !== 'string' || t === ''))
  )
    fail('options.types', 'must be an array of event type names.');
  return {
    tenantId: checkTenant(o.tenantId, 'options.tenantId', true),
    after,
    maxCount: o.maxCount ?? 1000,
    types: o.types && o.types.length > 0 ? o.types : null,
  };
}
