import type { Express, Request, Response } from 'express';
import express from 'express';
import type { z } from 'zod';
import type { FaultInjector } from './fault-injection';
import { idempotencyCache } from './idempotency-cache';

/**
 * The Express app every simulated service starts from: JSON bodies, the `/__control` knobs, the
 * injected faults, then `Idempotency-Key` replay in front of the service's own routes.
 */
export function simulatedServiceApp(faults: FaultInjector): Express {
  const app = express();
  app.use(express.json());
  app.use(faults.controlRouter());
  app.use(faults.middleware());
  app.use(idempotencyCache());
  return app;
}

/** Answers with the error shape the simulated services share: `{ error: { code, message } }`. */
export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: object = {},
): void {
  res.status(status).json({ error: { code, message, ...extra } });
}

/** Parses the body with `schema`; on failure answers 400 `parameter_invalid` and returns undefined. */
export function parseBody<T>(schema: z.ZodType<T>, req: Request, res: Response): T | undefined {
  const parsed = schema.safeParse(req.body);
  if (parsed.success) return parsed.data;
  sendError(res, 400, 'parameter_invalid', 'The request body is invalid.', { issues: parsed.error.issues });
  return undefined;
}
