import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import { z } from 'zod';

/** How a simulated service misbehaves; changed at run time through `PUT /__control`. */
export interface FaultSettings {
  /** Added to every request, in milliseconds. */
  latencyMs: number;
  /** Share of requests (0 to 1) that fail with a 500, at random. */
  failureRate: number;
  /** When true, every request fails with 503, as a service that is down. */
  outage: boolean;
}

const faultSettingsPatch = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    failureRate: z.number().min(0).max(1),
    outage: z.boolean(),
  })
  .partial()
  .strict();

/**
 * The knobs every simulated service shares: latency, random failures and an outage switch, applied
 * before the service's own routes.
 */
export class FaultInjector {
  private settings: FaultSettings;

  constructor(
    initial: Partial<FaultSettings> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.settings = { latencyMs: 0, failureRate: 0, outage: false, ...initial };
  }

  /** The current settings. */
  get current(): FaultSettings {
    return { ...this.settings };
  }

  /** Changes some settings, leaving the others as they are. */
  update(patch: Partial<FaultSettings>): FaultSettings {
    this.settings = { ...this.settings, ...faultSettingsPatch.parse(patch) };
    return this.current;
  }

  /** `GET`/`PUT /__control`, so tests and people can change the settings over HTTP. */
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
    return router;
  }

  /** Middleware that applies the settings to every request it sees. */
  middleware() {
    return async (_req: Request, res: Response, next: NextFunction) => {
      const { latencyMs, failureRate, outage } = this.settings;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (outage) {
        res.status(503).json({ error: { code: 'service_unavailable', message: 'The service is down.' } });
        return;
      }
      if (failureRate > 0 && this.random() < failureRate) {
        res.status(500).json({ error: { code: 'internal_error', message: 'A simulated random failure.' } });
        return;
      }
      next();
    };
  }
}
