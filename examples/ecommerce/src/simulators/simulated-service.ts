import { Logger } from '@nestjs/common';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import type { z } from 'zod';
import type { FaultInjector, FaultSettings } from './fault-injection';

/** Options of a simulated service. */
export interface SimulatorOptions {
  /** Port to listen on (0, the default: any free port). */
  port?: number;
  /** Faults to start with. */
  faults?: Partial<FaultSettings>;
  /** Where its ledger is kept across restarts; in memory (forgotten on exit) without it. */
  dataDir?: string;
}

/** The error shape the simulated services share: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: string; message: string; [extra: string]: unknown };
}

/**
 * A simulated service's answer to one request, decided before anything is stored: its status and
 * body, the events to record, and whether a retry with the same `Idempotency-Key` gets it again.
 */
export interface Decision<E> {
  status: number;
  body: unknown;
  events?: E[];
  /** False for answers a corrected retry should not be stuck with (invalid parameters), as Stripe does. */
  keep?: boolean;
}

/** An error answer; `extra` joins `code` and `message` in the body. */
export function refusal(status: number, code: string, message: string, extra: object = {}): Decision<never> {
  return { status, body: { error: { code, message, ...extra } } satisfies ErrorBody };
}

/** Parses the body with `schema`: the value, or the 400 `parameter_invalid` to answer. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; decision: Decision<never> } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const decision = refusal(400, 'parameter_invalid', 'The request body is invalid.', {
    issues: parsed.error.issues,
  });
  return { ok: false, decision: { ...decision, keep: false } };
}

/** Answers with the shared error shape. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } } satisfies ErrorBody);
}

/** `GET .../:id`: the item with that id, or 404 `resource_missing` naming the `noun` and the id. */
export function lookupRoute<T>(items: ReadonlyMap<string, T>, noun: string): RequestHandler<{ id: string }> {
  return (req, res) => {
    const found = items.get(req.params.id);
    if (found === undefined)
      return sendError(res, 404, 'resource_missing', `No such ${noun}: '${req.params.id}'.`);
    res.json(found);
  };
}

const logger = new Logger('Simulators');

/**
 * The Express app every simulated service is: JSON bodies, the `/__control` knobs, the injected
 * faults, the service's own `routes`, and errors answered in the shared JSON shape (a body that is
 * not JSON: 400; a ledger the disk refused: 500, nothing stored).
 */
export function simulatedService(faults: FaultInjector, routes: (app: Express) => void): Express {
  const app = express();
  app.use(express.json());
  app.use(faults.controlRouter());
  app.use(faults.middleware());
  routes(app);
  app.use((error: Error & { type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.parse.failed') {
      return sendError(res, 400, 'parameter_invalid', `The body is not valid JSON: ${error.message}`);
    }
    logger.error(`A simulated service failed: ${error.stack ?? error.message}`);
    sendError(res, 500, 'internal_error', `The simulator failed, and stored nothing: ${error.message}`);
  });
  return app;
}
