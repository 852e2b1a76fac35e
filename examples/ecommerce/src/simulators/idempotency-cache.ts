import type { NextFunction, Request, Response } from 'express';

interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * Replays the first response to a request that carries an `Idempotency-Key` header already seen,
 * as Stripe and most carriers do, so that a client retrying after a timeout never charges twice.
 */
export function idempotencyCache() {
  const responses = new Map<string, StoredResponse>();
  return (req: Request, res: Response, next: NextFunction) => {
    const key = req.header('idempotency-key');
    if (!key) return next();
    const cacheKey = `${req.method} ${req.path} ${key}`;
    const stored = responses.get(cacheKey);
    if (stored) {
      res.status(stored.status).set('idempotent-replayed', 'true').json(stored.body);
      return;
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 500) responses.set(cacheKey, { status: res.statusCode, body });
      return json(body);
    };
    next();
  };
}
