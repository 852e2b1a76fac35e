import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Ledger, StoredReply } from './ledger';
import { type Decision, sendError } from './simulated-service';

const MAX_KEY_LENGTH = 255;

/** JSON with object keys sorted, so that two bodies differing only in key order are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).json(body);
}

/**
 * A route whose answers are recorded in `ledger` and honour `Idempotency-Key` as Stripe does: a
 * retry with the same key, method, path and body gets the first answer again (header
 * `idempotent-replayed: true`), even after a restart; the same key with another request is refused
 * with 422 `idempotency_key_reused`. Answers below 500 are kept, except invalid parameters.
 * `decide` only decides; the events and the reply are stored together before the answer is sent.
 */
export function idempotentRoute<E>(ledger: Ledger<E>, decide: (req: Request) => Decision<E>): RequestHandler {
  return (req, res) => {
    const key = req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
      return sendError(
        res,
        400,
        'idempotency_key_invalid',
        `The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} characters, e.g. a UUID.`,
      );
    }
    const request = `${req.method} ${req.path}`;
    const fingerprint = createHash('sha256')
      .update(`${request}\n${canonicalJson(req.body ?? null)}`)
      .digest('hex');
    const stored = key === undefined ? undefined : ledger.replyFor(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        return sendError(
          res,
          422,
          'idempotency_key_reused',
          `The Idempotency-Key '${stored.key}' was first used for another request (${stored.request} with ` +
            'other parameters). Use a new key for a new request.',
        );
      }
      res.set('idempotent-replayed', 'true');
      return send(res, stored.status, stored.body);
    }
    const decision = decide(req);
    const reply: StoredReply | undefined =
      key !== undefined && decision.keep !== false && decision.status < 500
        ? { key, request, fingerprint, status: decision.status, body: decision.body }
        : undefined;
    ledger.commit(decision.events ?? [], reply);
    send(res, decision.status, decision.body);
  };
}
