import { ulid } from 'ulidx';
import { z } from 'zod';
import { FaultInjector, type FaultSettings } from './fault-injection';
import { listen, type RunningServer } from './http-server';
import { parseBody, sendError, simulatedServiceApp } from './simulated-service';

/** Card tokens the gateway knows, named after Stripe's test tokens. */
export const CARD_TOKENS = {
  /** Always succeeds. */
  visa: 'tok_visa',
  /** Always declined: a business failure, not a failure of the gateway. */
  declined: 'tok_chargeDeclined',
} as const;

const SUCCEEDING_TOKENS = new Set(['tok_visa', 'tok_mastercard', 'tok_amex']);
const DECLINED_TOKENS = new Set(['tok_chargeDeclined', 'tok_chargeDeclinedInsufficientFunds']);

/** A charge as the gateway returns it. */
export interface GatewayCharge {
  id: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  amountRefunded: number;
  created: string;
}

const chargeRequest = z.object({
  amount: z.number().int().positive(),
  currency: z.string().length(3),
  source: z.string().min(1),
  description: z.string().optional(),
});

const refundRequest = z.object({
  charge: z.string().min(1),
  amount: z.number().int().positive().optional(),
});

/** A running simulated gateway: its URL, its fault knobs, and what it has charged. */
export interface PaymentGatewaySimulator extends RunningServer {
  readonly faults: FaultInjector;
  readonly charges: ReadonlyMap<string, GatewayCharge>;
}

/**
 * A payment gateway over HTTP, shaped like Stripe's charges API: `POST /v1/charges`,
 * `POST /v1/refunds`, `GET /v1/charges/:id`, with `Idempotency-Key` support.
 * `tok_visa` succeeds; `tok_chargeDeclined` answers 402 `card_declined`.
 */
export async function startPaymentGateway(
  options: { port?: number; faults?: Partial<FaultSettings> } = {},
): Promise<PaymentGatewaySimulator> {
  const faults = new FaultInjector(options.faults);
  const charges = new Map<string, GatewayCharge>();
  const app = simulatedServiceApp(faults);

  app.post('/v1/charges', (req, res) => {
    const request = parseBody(chargeRequest, req, res);
    if (!request) return;
    if (DECLINED_TOKENS.has(request.source)) {
      return sendError(res, 402, 'card_declined', 'Your card was declined.', { type: 'card_error' });
    }
    if (!SUCCEEDING_TOKENS.has(request.source)) {
      return sendError(res, 400, 'token_invalid', `No such token: '${request.source}'.`);
    }
    const charge: GatewayCharge = {
      id: `ch_${ulid()}`,
      amount: request.amount,
      currency: request.currency.toLowerCase(),
      status: 'succeeded',
      amountRefunded: 0,
      created: new Date().toISOString(),
    };
    charges.set(charge.id, charge);
    res.status(201).json(charge);
  });

  app.get('/v1/charges/:id', (req, res) => {
    const charge = charges.get(req.params.id);
    if (!charge) return sendError(res, 404, 'resource_missing', `No such charge: '${req.params.id}'.`);
    res.json(charge);
  });

  app.post('/v1/refunds', (req, res) => {
    const request = parseBody(refundRequest, req, res);
    if (!request) return;
    const charge = charges.get(request.charge);
    if (!charge) return sendError(res, 404, 'resource_missing', `No such charge: '${request.charge}'.`);
    const refundable = charge.amount - charge.amountRefunded;
    const amount = request.amount ?? refundable;
    if (refundable === 0 || amount > refundable) {
      return sendError(res, 400, 'charge_already_refunded', 'The charge has been refunded already.');
    }
    charge.amountRefunded += amount;
    res.status(201).json({ id: `re_${ulid()}`, charge: charge.id, amount, status: 'succeeded' });
  });

  const server = await listen(app, options.port);
  return { ...server, faults, charges };
}
