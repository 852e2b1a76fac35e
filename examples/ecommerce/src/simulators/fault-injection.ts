import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import { z } from 'zod';

/**
 * The ways a simulated service can fail one request:
 * - `network-error`: the socket is destroyed before the request is handled; nothing happened.
 * - `lost-reply`: the request is handled (and recorded), then the socket is destroyed instead of
 *   answering, as when a reply is lost on the way back; only an `Idempotency-Key` makes a retry safe.
 * - `rate-limited`: `429` with a `Retry-After` header (seconds).
 * - `permanent-failure`: a 4xx (`permanentFailureStatus`) the client must not retry.
 * - `server-error`: `500`, worth retrying.
 * - `unavailable`: `503`, as during an outage.
 */
export const FAULTS = [
  'network-error',
  'lost-reply',
  'rate-limited',
  'permanent-failure',
  'server-error',
  'unavailable',
] as const;

/** One of {@link FAULTS}. */
export type Fault = (typeof FAULTS)[number];

/** The statuses a `permanent-failure` may answer with. */
export const PERMANENT_FAILURE_STATUSES = [400, 402, 403, 404, 409, 422] as const;

/** How a simulated service misbehaves; changed at run time through `PUT /__control`. */
export interface FaultSettings {
  /** Added to every request, in milliseconds. */
  latencyMs: number;
  /** Share of requests (0 to 1) that fail with a 500, at random. */
  failureRate: number;
  /** When true, every request fails with 503, as a service that is down. */
  outage: boolean;
  /** Share of requests whose socket is destroyed before they are handled. */
  networkErrorRate: number;
  /** Share of requests handled, then answered by destroying the socket (the reply is lost). */
  lostReplyRate: number;
  /** Share of requests answered 429 with `Retry-After: <retryAfterSeconds>`. */
  rateLimitRate: number;
  /** The `Retry-After` of a 429, in seconds. */
  retryAfterSeconds: number;
  /** Share of requests answered with `permanentFailureStatus`, code `simulated_permanent_failure`. */
  permanentFailureRate: number;
  /** The 4xx of a permanent failure (400, 402, 403, 404, 409 or 422). */
  permanentFailureStatus: (typeof PERMANENT_FAILURE_STATUSES)[number];
  /**
   * Faults for the next requests, one each, in order, before the rates are looked at: a script such
   * as `["rate-limited", "network-error"]` fails exactly the next two requests, then lets them through.
   */
  nextFaults: Fault[];
}

const rate = z.number().min(0).max(1);

const faultSettingsPatch = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    failureRate: rate,
    outage: z.boolean(),
    networkErrorRate: rate,
    lostReplyRate: rate,
    rateLimitRate: rate,
    retryAfterSeconds: z.number().int().min(0).max(3_600),
    permanentFailureRate: rate,
    permanentFailureStatus: z.literal(PERMANENT_FAILURE_STATUSES),
    nextFaults: z.array(z.enum(FAULTS)).max(1_000),
  })
  .partial()
  .strict();

const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  failureRate: 0,
  outage: false,
  networkErrorRate: 0,
  lostReplyRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  permanentFailureRate: 0,
  permanentFailureStatus: 400,
  nextFaults: [],
};

const errorBody = (code: string, message: string) => ({ error: { code, message } });

/**
 * The knobs every simulated service shares (latency, an outage switch, a rate per fault and a
 * script of faults for the next requests), applied before the service's own routes.
 */
export class FaultInjector {
  private settings: FaultSettings;

  constructor(
    initial: Partial<FaultSettings> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.settings = { ...NO_FAULTS, ...faultSettingsPatch.parse(initial) };
  }

  /** The current settings. */
  get current(): FaultSettings {
    return { ...this.settings, nextFaults: [...this.settings.nextFaults] };
  }

  /** Changes some settings, leaving the others as they are. */
  update(patch: Partial<FaultSettings>): FaultSettings {
    this.settings = { ...this.settings, ...faultSettingsPatch.parse(patch) };
    return this.current;
  }

  /** Back to no faults at all. */
  reset(): FaultSettings {
    this.settings = { ...NO_FAULTS, nextFaults: [] };
    return this.current;
  }

  /**
   * The fault for the next request, or undefined: the outage first, then the script, then each
   * rate in turn (network error, rate limit, permanent failure, server error, lost reply).
   */
  nextFault(): Fault | undefined {
    const settings = this.settings;
    if (settings.outage) return 'unavailable';
    const [scripted, ...rest] = settings.nextFaults;
    if (scripted) {
      this.settings = { ...settings, nextFaults: rest };
      return scripted;
    }
    if (this.rolls(settings.networkErrorRate)) return 'network-error';
    if (this.rolls(settings.rateLimitRate)) return 'rate-limited';
    if (this.rolls(settings.permanentFailureRate)) return 'permanent-failure';
    if (this.rolls(settings.failureRate)) return 'server-error';
    if (this.rolls(settings.lostReplyRate)) return 'lost-reply';
    return undefined;
  }

  /** `GET`, `PUT` (some settings) and `DELETE` (no faults) `/__control`, so tests and people can change the settings over HTTP. */
  controlRouter(): Router {
    const router = express.Router();
    router.get('/__control', (_req, res) => {
      res.json(this.current);
    });
    router.put('/__control', (req, res) => {
      const patch = faultSettingsPatch.safeParse(req.body);
      if (!patch.success) {
        res.status(400).json({ error: { code: 'invalid_settings', issues: patch.error.issues } });
        return;
      }
      res.json(this.update(patch.data));
    });
    router.delete('/__control', (_req, res) => {
      res.json(this.reset());
    });
    return router;
  }

  /** Middleware that applies the settings to every request it sees. */
  middleware() {
    return async (req: Request, res: Response, next: NextFunction) => {
      const { latencyMs } = this.settings;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const fault = this.nextFault();
      if (fault === undefined) return next();
      this.inflict(fault, req, res, next);
    };
  }

  private inflict(fault: Fault, req: Request, res: Response, next: NextFunction): void {
    const { retryAfterSeconds, permanentFailureStatus } = this.settings;
    switch (fault) {
      case 'network-error':
        req.socket.destroy();
        return;
      case 'lost-reply':
        // the route runs and records what it did; its answer never leaves
        res.json = () => {
          req.socket.destroy();
          return res;
        };
        next();
        return;
      case 'rate-limited':
        res
          .status(429)
          .set('retry-after', String(retryAfterSeconds))
          .json(errorBody('rate_limited', `Too many requests. Retry after ${retryAfterSeconds} s.`));
        return;
      case 'permanent-failure':
        res
          .status(permanentFailureStatus)
          .json(
            errorBody(
              'simulated_permanent_failure',
              'A simulated permanent failure: this request will never succeed; do not retry it.',
            ),
          );
        return;
      case 'server-error':
        res.status(500).json(errorBody('internal_error', 'A simulated random failure.'));
        return;
      case 'unavailable':
        res.status(503).json(errorBody('service_unavailable', 'The service is down.'));
        return;
    }
  }

  private rolls(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }
}
