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

/** The event names the app declared, or any string while `InngestEvents` is empty. */
export type InngestEventName = [keyof InngestEvents] extends [never]
  ? string
  : Extract<keyof InngestEvents, string>;

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
