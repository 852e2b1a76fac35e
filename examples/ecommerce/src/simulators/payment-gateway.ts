import { ulid } from 'ulidx';
import { z } from 'zod';
import { FaultInjector } from './fault-injection';
import { listen, type RunningServer } from './http-server';
import { idempotentRoute } from './idempotent-route';
import { Ledger } from './ledger';
import {
  type Decision,
  lookupRoute,
  parseBody,
  refusal,
  type SimulatorOptions,
  simulatedService,
} from './simulated-service';

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

/** A refund as the gateway returns it. */
export interface GatewayRefund {
  id: string;
  charge: string;
  amount: number;
  status: 'succeeded';
  created: string;
}

/** What the gateway records; its ledger is these, in order. */
export type GatewayEvent =
  | { type: 'charge.succeeded'; charge: GatewayCharge }
  | { type: 'charge.refunded'; refund: GatewayRefund };

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

/** A running simulated gateway: its URL, its fault knobs, and what it has charged and refunded. */
export interface PaymentGatewaySimulator extends RunningServer {
  readonly faults: FaultInjector;
  readonly charges: ReadonlyMap<string, GatewayCharge>;
  readonly refunds: ReadonlyMap<string, GatewayRefund>;
}

/**
 * A payment gateway over HTTP, shaped like Stripe's charges API: `POST /v1/charges`,
 * `POST /v1/refunds`, `GET /v1/charges/:id`, with `Idempotency-Key` support.
 * `tok_visa` succeeds; `tok_chargeDeclined` answers 402 `card_declined`. With a `dataDir`, charges,
 * refunds and the replies kept for idempotency keys are on disk before the answer leaves.
 */
export async function startPaymentGateway(options: SimulatorOptions = {}): Promise<PaymentGatewaySimulator> {
  const faults = new FaultInjector(options.faults);
  const charges = new Map<string, GatewayCharge>();
  const refunds = new Map<string, GatewayRefund>();
  const ledger = Ledger.open<GatewayEvent>({
    name: 'payment-gateway',
    dataDir: options.dataDir,
    evolve(event) {
      if (event.type === 'charge.succeeded') charges.set(event.charge.id, { ...event.charge });
      else {
        refunds.set(event.refund.id, event.refund);
        const charge = charges.get(event.refund.charge);
        if (charge) charge.amountRefunded += event.refund.amount;
      }
    },
  });

  const charge = (body: unknown): Decision<GatewayEvent> => {
    const parsed = parseBody(chargeRequest, body);
    if (!parsed.ok) return parsed.decision;
    const request = parsed.value;
    if (DECLINED_TOKENS.has(request.source)) {
      return refusal(402, 'card_declined', 'Your card was declined.', { type: 'card_error' });
    }
    if (!SUCCEEDING_TOKENS.has(request.source)) {
      return refusal(400, 'token_invalid', `No such token: '${request.source}'.`);
    }
    const created: GatewayCharge = {
      id: `ch_${ulid()}`,
      amount: request.amount,
      currency: request.currency.toLowerCase(),
      status: 'succeeded',
      amountRefunded: 0,
      created: new Date().toISOString(),
    };
    return { status: 201, body: created, events: [{ type: 'charge.succeeded', charge: created }] };
  };

  const refund = (body: unknown): Decision<GatewayEvent> => {
    const parsed = parseBody(refundRequest, body);
    if (!parsed.ok) return parsed.decision;
    const request = parsed.value;
    const refunded = charges.get(request.charge);
    if (!refunded) return refusal(404, 'resource_missing', `No such charge: '${request.charge}'.`);
    const refundable = refunded.amount - refunded.amountRefunded;
    const amount = request.amount ?? refundable;
    if (refundable === 0 || amount > refundable) {
      return refusal(400, 'charge_already_refunded', 'The charge has been refunded already.');
    }
    const made: GatewayRefund = {
      id: `re_${ulid()}`,
      charge: refunded.id,
      amount,
      status: 'succeeded',
      created: new Date().toISOString(),
    };
    return { status: 201, body: made, events: [{ type: 'charge.refunded', refund: made }] };
  };

  const app = simulatedService(faults, (app) => {
    app.post(
      '/v1/charges',
      idempotentRoute(ledger, (req) => charge(req.body)),
    );
    app.get('/v1/charges/:id', lookupRoute(charges, 'charge'));
    app.post(
      '/v1/refunds',
      idempotentRoute(ledger, (req) => refund(req.body)),
    );
    app.get('/v1/refunds/:id', lookupRoute(refunds, 'refund'));
  });

  const server = await listen(app, {
    service: 'payment gateway',
    port: options.port,
    release: () => ledger.close(),
  });
  return { ...server, faults, charges, refunds };
}
