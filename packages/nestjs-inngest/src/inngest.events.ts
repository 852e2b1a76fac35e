import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Context, Inngest } from 'inngest';

/**
 * The app's events, declared once by module augmentation. Once it has entries, `InngestService.send`
 * and `@InngestFunction` triggers accept only these names, with these payloads.
 *
 * @example
 * ```ts
 * declare module '@sagaline/nestjs-inngest' {
 *   interface InngestEvents {
 *     'order/created': { orderId: string; total: number };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the user's module augmentation
export interface InngestEvents {}

/**
 * The event names the app declared, or any string while `InngestEvents` is empty.
 *
 * Written as a template literal so that TypeScript spells the names out in errors: a misspelled
 * name reads `not assignable to type '"order/created" | "order/cancelled"'` rather than
 * `'keyof InngestEvents'` or the name of one other event.
 */
export type InngestEventName = [keyof InngestEvents] extends [never]
  ? string
  : `${keyof InngestEvents & string}`;

/** The payload (`data`) of an event, from `InngestEvents`; a plain record for undeclared names. */
export type InngestEventData<TName extends string> = TName extends keyof InngestEvents
  ? InngestEvents[TName]
  : Record<string, any>;

/** An event as the app sends it: a declared name with its payload. */
export type InngestEventPayload<TName extends InngestEventName = InngestEventName> = {
  [N in TName]: {
    /** The event name, e.g. `order/created`. */
    name: N;
    /** The payload. */
    data: InngestEventData<N>;
    /** A deduplication id: an event id seen before triggers nothing again. */
    id?: string;
    /** The event time, in milliseconds since the epoch. */
    ts?: number;
    /** A version of the payload's schema, for upcasting. */
    v?: string;
  };
}[TName];

/**
 * One event as `InngestService.send` takes it. Unlike `InngestEventPayload`, its name is one type
 * parameter, so a misspelled name is reported against every declared name.
 */
export interface InngestEventToSend<TName extends InngestEventName = InngestEventName> {
  /** The event name, e.g. `order/created`. */
  name: TName;
  /** The payload: an object, checked against the module's `schemas` when one is given for the name. */
  data: InngestEventData<TName>;
  /** A deduplication id: an event id seen before triggers nothing again. */
  id?: string;
  /** The event time, in milliseconds since the epoch. */
  ts?: number;
  /** A version of the payload's schema, for upcasting. */
  v?: string;
}

/**
 * Schemas of event payloads, by event name: any Standard Schema (zod, valibot, arktype, ...).
 * `send()` refuses an event whose `data` fails its schema, and a function triggered by one fails
 * before its handler runs. The schema only validates: the event is sent as given, not as parsed.
 *
 * @example
 * ```ts
 * InngestModule.forRoot({
 *   appId: 'shop',
 *   schemas: { 'order/created': z.object({ orderId: z.string(), total: z.number().positive() }) },
 * });
 * ```
 */
export type InngestEventSchemas = {
  [N in InngestEventName]?: StandardSchemaV1<unknown, InngestEventData<N>>;
};

/**
 * What starts a function: a declared event name (or a wildcard such as `order/*`), optionally
 * filtered by a CEL expression in `if`; or a cron schedule.
 */
export type InngestTrigger =
  | {
      /** An event name or a wildcard pattern. */
      event: InngestEventName | `${string}*`;
      /** A CEL expression over `event`, e.g. `event.data.total > 100`. */
      if?: string;
      cron?: never;
    }
  | {
      /** A cron expression, optionally with a time zone prefix (`TZ=Europe/Paris 0 9 * * *`). */
      cron: string;
      /** Delays each firing by a random amount up to this duration (`'30s'`), spreading load. */
      jitter?: string;
      event?: never;
      if?: never;
    };

/** An event as a function receives it: its name, payload, id and time. */
export interface InngestReceivedEvent<TName extends string = string> {
  /** The event name. */
  name: TName;
  /** The payload. */
  data: InngestEventData<TName>;
  /** The event id the server assigned (or the one it was sent with). */
  id?: string;
  /** The event time, in milliseconds since the epoch. */
  ts?: number;
  /** The payload's schema version, if sent. */
  v?: string;
}

/**
 * The argument of an `@InngestFunction` method: Inngest's context (`step`, `runId`, `attempt`,
 * `logger`, ...) with `event` typed by its name.
 */
export type InngestContext<TName extends InngestEventName = InngestEventName> = Context<
  Inngest.Any,
  { event: InngestReceivedEvent<TName>; events: InngestReceivedEvent<TName>[] }
>;
