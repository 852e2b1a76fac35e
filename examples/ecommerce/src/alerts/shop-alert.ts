import type {} from '@sagaline/nestjs-inngest';

/** The kinds of alert the shop raises. */
export const ALERT_KINDS = ['compensation_failed', 'saga_stalled'] as const;

/** One of {@link ALERT_KINDS}. */
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * What the shop posts to `ALERT_WEBHOOK_URL`, as JSON. One problem, one `dedupeKey`: the shop
 * raises each key once (its Inngest event id), posts it with the key as `Idempotency-Key`, and a
 * receiver that dedupes (PagerDuty's `dedup_key`, the example's sink by the header) keeps one alert
 * however often a post is retried. No customer data: ids, step names and error messages only.
 */
export interface ShopAlert {
  /** `compensation_failed:<runId>`, or `saga_stalled:<runId>:<last progress, ms>`: a saga stalled again after moving on is a new problem. */
  dedupeKey: string;
  /** What happened: see {@link ALERT_KINDS}. */
  kind: AlertKind;
  /** `critical`: something was left undone (money, stock) and needs an operator now; `warning`: look soon. */
  severity: 'critical' | 'warning';
  /** One line for a person. */
  summary: string;
  /** The saga (`order-processing`, `order-backorder`). */
  sagaId: string;
  /** Its run: `GET /orders/:id` lists it under `sagas`. */
  runId: string;
  /** The saga's business key: the order id for the order sagas. */
  businessKey?: string;
  /** The order's tenant. */
  tenantId?: string;
  /** The step whose compensation failed, or the step the saga is stuck at (several of a parallel group, comma-separated). */
  step: string;
  /** Why: the failed compensation's error, or the stuck step's. */
  error: string;
  /** When the problem arose (ISO 8601): the saga gave up compensating, or the scan found it stalled. */
  at: string;
  /** For a stall: when the saga last made progress (ISO 8601). */
  lastProgressAt?: string;
}

/** The event that carries an alert to `AlertDelivery`; its id is the alert's `dedupeKey`. */
export const ALERT_RAISED = 'alert.raised';

declare module '@sagaline/nestjs-inngest' {
  interface InngestEvents {
    /** An alert for the webhook, raised once per `dedupeKey` (the event id). */
    'alert.raised': ShopAlert;
  }
}

/** The event that raises `alert`: Inngest starts nothing twice for one event id. */
export function alertRaised(alert: ShopAlert) {
  return { name: ALERT_RAISED, id: alert.dedupeKey, data: alert } as const;
}
