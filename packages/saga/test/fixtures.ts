import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { NonRetriableError } from 'inngest';
import {
  Compensate,
  SAGA_UNKNOWN_OUTPUT,
  Saga,
  type SagaContext,
  type SagaOutcome,
  type SagaState,
  SagaStep,
} from '../src';

/** Records what ran, and decides which step fails, per order. */
@Injectable()
export class Ledger {
  readonly calls: string[] = [];
  readonly events: Array<{ name: string; orderId?: string; tenantId?: string }> = [];
  /** Outcomes read from `inngest/function.finished`, which every saga run ends with. */
  readonly finished: SagaOutcome[] = [];
  failAt = new Map<string, string>();
  failCompensation = new Map<string, number>();
  attempts = new Map<string, number>();

  record(entry: string): void {
    this.calls.push(entry);
  }

  for(orderId: string): string[] {
    return this.calls.filter((c) => c.endsWith(`:${orderId}`)).map((c) => c.slice(0, c.lastIndexOf(':')));
  }

  maybeFail(step: string, orderId: string): void {
    const key = `${step}:${orderId}`;
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    if (this.failAt.get(orderId) === step) throw new NonRetriableError(`${step} refused`);
  }
}

type Order = { orderId: string };

@Saga({
  id: 'order-saga',
  trigger: 'shop/order.created',
  businessKey: 'orderId',
  retries: 1,
  lifecycleEventData: (event) => ({ tenantId: event.data.tenantId }),
})
export class OrderSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('reserve')
  reserve(ctx: SagaContext<Order>) {
    this.ledger.maybeFail('reserve', ctx.event.data.orderId);
    this.ledger.record(`reserve:${ctx.event.data.orderId}`);
    return { reservationId: `r-${ctx.event.data.orderId}` };
  }

  @Compensate('reserve')
  release(ctx: SagaContext<Order>, reservation: { reservationId: string } | typeof SAGA_UNKNOWN_OUTPUT) {
    const id = reservation === SAGA_UNKNOWN_OUTPUT ? 'unknown' : reservation.reservationId;
    this.ledger.record(`release(${id}):${ctx.event.data.orderId}`);
  }

  @SagaStep('charge')
  charge(ctx: SagaContext<Order>) {
    this.ledger.maybeFail('charge', ctx.event.data.orderId);
    this.ledger.record(`charge:${ctx.event.data.orderId}`);
    return { paymentId: `p-${ctx.event.data.orderId}` };
  }

  @Compensate('charge', { retry: { attempts: 2, backoffMs: 1_000 } })
  refund(ctx: SagaContext<Order>, payment: { paymentId: string } | typeof SAGA_UNKNOWN_OUTPUT) {
    const remaining = this.ledger.failCompensation.get(ctx.event.data.orderId) ?? 0;
    if (remaining > 0) {
      this.ledger.failCompensation.set(ctx.event.data.orderId, remaining - 1);
      throw new Error('refund service down');
    }
    const id = payment === SAGA_UNKNOWN_OUTPUT ? 'unknown' : payment.paymentId;
    this.ledger.record(`refund(${id}):${ctx.event.data.orderId}`);
  }

  @SagaStep('ship')
  ship(ctx: SagaContext<Order>) {
    this.ledger.maybeFail('ship', ctx.event.data.orderId);
    this.ledger.record(`ship:${ctx.event.data.orderId}`);
    return 'shipped';
  }
}

/** Listens to the saga lifecycle events, so tests can assert they were sent. */
@Injectable()
export class LifecycleListener {
  constructor(private readonly ledger: Ledger) {}

  @InngestFunction({ id: 'saga-listener', triggers: { event: 'saga/*' } })
  async listen({ event }: InngestContext) {
    this.ledger.events.push({
      name: event.name,
      orderId: event.data.businessKey as string | undefined,
      tenantId: event.data.tenantId as string | undefined,
    });
  }

  @InngestFunction({
    id: 'saga-finished-listener',
    triggers: { event: 'inngest/function.finished', if: "event.data.function_id == 'shop-order-saga'" },
  })
  async finished({ event }: InngestContext) {
    if (event.data.result) this.ledger.finished.push(event.data.result as SagaOutcome);
  }
}

/** A saga with a pivot: once payment is captured, shipping is retried forward. */
@Saga({
  id: 'pivot-saga',
  trigger: 'shop/pivot.created',
  businessKey: 'orderId',
  retries: 0,
  operatorTimeout: '1h',
})
export class PivotSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('reserve')
  reserve(ctx: SagaContext<Order>) {
    this.ledger.record(`reserve:${ctx.event.data.orderId}`);
  }

  @Compensate('reserve')
  release(ctx: SagaContext<Order>) {
    this.ledger.record(`release:${ctx.event.data.orderId}`);
  }

  @SagaStep('capture', { pivot: true })
  capture(ctx: SagaContext<Order>) {
    this.ledger.record(`capture:${ctx.event.data.orderId}`);
  }

  @SagaStep('ship', { retry: { attempts: 2, backoffMs: 1_000 } })
  ship(ctx: SagaContext<Order>) {
    this.ledger.maybeFail('ship', ctx.event.data.orderId);
    this.ledger.record(`ship:${ctx.event.data.orderId}`);
  }
}

/** A saga that waits for a payment webhook, cancellable by an event. */
@Saga({
  id: 'waiting-saga',
  trigger: 'shop/waiting.created',
  businessKey: 'orderId',
  cancelOn: { event: 'shop/order.cancel', match: 'data.orderId' },
})
export class WaitingSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('reserve')
  reserve(ctx: SagaContext<Order>) {
    this.ledger.record(`reserve:${ctx.event.data.orderId}`);
    return 'r1';
  }

  @Compensate('reserve')
  release(ctx: SagaContext<Order>, reservation: string) {
    this.ledger.record(`release(${reservation}):${ctx.event.data.orderId}`);
  }

  @SagaStep('payment', {
    waitForEvent: { event: 'shop/payment.confirmed', match: 'data.orderId', timeout: '1h' },
  })
  payment(_ctx: SagaContext<Order>, event: { data: { amount: number } }) {
    return event.data.amount;
  }

  @SagaStep('confirm')
  confirm(ctx: SagaContext<Order>) {
    this.ledger.record(`confirm(${ctx.results.payment}):${ctx.event.data.orderId}`);
  }
}

/** Notifications in parallel; one channel can fail. */
@Saga({
  id: 'notify-saga',
  trigger: 'shop/notify',
  businessKey: 'orderId',
  retries: 0,
  lifecycleEvents: 'failures', // overrides the module's 'all' in the semantics suite
})
export class NotifySaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('email', { group: 'channels' })
  email(ctx: SagaContext<Order>) {
    this.ledger.record(`email:${ctx.event.data.orderId}`);
  }

  @Compensate('email')
  unEmail(ctx: SagaContext<Order>) {
    this.ledger.record(`undo-email:${ctx.event.data.orderId}`);
  }

  @SagaStep('sms', { group: 'channels' })
  sms(ctx: SagaContext<Order>) {
    this.ledger.maybeFail('sms', ctx.event.data.orderId);
    this.ledger.record(`sms:${ctx.event.data.orderId}`);
  }

  @Compensate('sms')
  unSms(ctx: SagaContext<Order>) {
    this.ledger.record(`undo-sms:${ctx.event.data.orderId}`);
  }

  @SagaStep('done')
  done(ctx: SagaContext<Order>) {
    this.ledger.record(`done:${ctx.event.data.orderId}`);
  }
}

/** Like `OrderSaga`, but a failing refund halts the remaining compensations. */
@Saga({ id: 'halt-saga', trigger: 'shop/halt.created', businessKey: 'orderId', retries: 0 })
export class HaltSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('reserve')
  reserve(ctx: SagaContext<Order>) {
    this.ledger.record(`reserve:${ctx.event.data.orderId}`);
  }

  @Compensate('reserve')
  release(ctx: SagaContext<Order>) {
    this.ledger.record(`release:${ctx.event.data.orderId}`);
  }

  @SagaStep('charge')
  charge(ctx: SagaContext<Order>) {
    this.ledger.record(`charge:${ctx.event.data.orderId}`);
  }

  @Compensate('charge', { retry: { attempts: 1 }, onFailure: 'halt' })
  refund() {
    throw new Error('refund service down');
  }

  @SagaStep('ship')
  ship(ctx: SagaContext<Order>) {
    throw new Error(`no carrier for ${ctx.event.data.orderId}`);
  }
}

/** Parallel members that each fail once, then succeed after a durable backoff; sends all events. */
@Saga({ id: 'flaky-saga', trigger: 'shop/flaky', businessKey: 'orderId', lifecycleEvents: 'all' })
export class FlakySaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('email', { group: 'channels', retry: { attempts: 2, backoffMs: 1_000 } })
  email(ctx: SagaContext<Order>) {
    this.failFirstAttempt('email', ctx.event.data.orderId);
  }

  @SagaStep('sms', { group: 'channels', retry: { attempts: 2, backoffMs: 1_000 } })
  sms(ctx: SagaContext<Order>) {
    this.failFirstAttempt('sms', ctx.event.data.orderId);
  }

  private failFirstAttempt(step: string, orderId: string): void {
    const key = `${step}:${orderId}`;
    this.ledger.attempts.set(key, (this.ledger.attempts.get(key) ?? 0) + 1);
    if (this.ledger.attempts.get(key) === 1) throw new Error(`${step} flaked`);
    this.ledger.record(key);
  }
}

/** Four steps after a pivot, so that an operator's retries go through several rounds. */
@Saga({
  id: 'pivot-chain-saga',
  trigger: 'shop/pivot-chain.created',
  businessKey: 'orderId',
  retries: 0,
  operatorTimeout: '1h',
})
export class PivotChainSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('capture', { pivot: true })
  capture(ctx: SagaContext<Order>) {
    this.ledger.record(`capture:${ctx.event.data.orderId}`);
  }

  @SagaStep('ship')
  ship(ctx: SagaContext<Order>) {
    this.step('ship', ctx.event.data.orderId);
  }

  @SagaStep('invoice')
  invoice(ctx: SagaContext<Order>) {
    this.step('invoice', ctx.event.data.orderId);
  }

  @SagaStep('notify')
  notify(ctx: SagaContext<Order>) {
    this.step('notify', ctx.event.data.orderId);
  }

  private step(name: string, orderId: string): void {
    this.ledger.maybeFail(name, orderId);
    this.ledger.record(`${name}:${orderId}`);
  }
}

/** A parallel group whose reservation needs a second try while its charge is refused at once. */
@Saga({ id: 'straggle-saga', trigger: 'shop/straggle', businessKey: 'orderId', retries: 0 })
export class StraggleSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('reserve', { group: 'prepare', retry: { attempts: 2, backoffMs: 1_000 } })
  reserve(ctx: SagaContext<Order>) {
    const key = `reserve:${ctx.event.data.orderId}`;
    this.ledger.attempts.set(key, (this.ledger.attempts.get(key) ?? 0) + 1);
    if (this.ledger.attempts.get(key) === 1) throw new Error('stock service busy');
    this.ledger.record(key);
    return `r-${ctx.event.data.orderId}`;
  }

  @Compensate('reserve')
  release(ctx: SagaContext<Order>, reservation: string | typeof SAGA_UNKNOWN_OUTPUT) {
    const id = reservation === SAGA_UNKNOWN_OUTPUT ? 'unknown' : reservation;
    this.ledger.record(`release(${id}):${ctx.event.data.orderId}`);
  }

  @SagaStep('charge', { group: 'prepare' })
  charge(ctx: SagaContext<Order>) {
    this.ledger.maybeFail('charge', ctx.event.data.orderId);
    this.ledger.record(`charge:${ctx.event.data.orderId}`);
  }
}

/** A state of run `run-1` of `order-processing` (order `o-1`), at its first step unless `progress` says otherwise. */
export const sagaState = (progress: Partial<SagaState> = {}): SagaState => ({
  sagaId: 'order-processing',
  runId: 'run-1',
  businessKey: 'o-1',
  status: 'running',
  startedSteps: ['reserve'],
  completedSteps: [],
  compensatedSteps: [],
  results: {},
  compensationFailures: [],
  timings: {},
  event: { name: 'order.created', data: { orderId: 'o-1' } },
  startedAt: 1,
  updatedAt: 1,
  ...progress,
});
