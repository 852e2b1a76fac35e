import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import type { SagaFailure } from '@sagaline/saga';
import { ShopMetrics } from '../metrics/shop-metrics';
import { alertRaised, type ShopAlert } from './shop-alert';

/** What `@sagaline/saga` puts in `saga/compensation.failed` (the operator report), and the shop's tenant. */
export interface CompensationFailedData {
  sagaId: string;
  runId: string;
  businessKey?: string;
  /** Added by the order sagas' `lifecycleEventData`. */
  tenantId?: string;
  /** The step failure that started the compensations. */
  failure?: SagaFailure;
  /** The compensations that failed for good, in the order they ran. */
  compensationFailures: SagaFailure[];
  /** Compensations still to run (after a `halt`, or behind the failed ones). */
  pendingCompensations?: string[];
}

/** The alert for a saga whose compensations failed for good: something stays undone until an operator acts. */
export function compensationFailedAlert(data: CompensationFailedData, at: number): ShopAlert {
  const failures = data.compensationFailures ?? [];
  const [first] = failures;
  const subject = data.businessKey ? `order ${data.businessKey}` : `run ${data.runId}`;
  const steps = failures.map((failure) => failure.stepId).join(', ') || 'unknown';
  return {
    dedupeKey: `compensation_failed:${data.runId}`,
    kind: 'compensation_failed',
    severity: 'critical',
    summary:
      `Saga ${data.sagaId} (${subject}) could not undo ${steps}` +
      `${data.failure ? ` after ${data.failure.stepId} failed` : ''}: an operator must finish the compensation by hand.`,
    sagaId: data.sagaId,
    runId: data.runId,
    ...(data.businessKey !== undefined ? { businessKey: data.businessKey } : {}),
    ...(typeof data.tenantId === 'string' ? { tenantId: data.tenantId } : {}),
    step: first?.stepId ?? 'unknown',
    error:
      failures.map((failure) => `${failure.stepId}: ${failure.name}: ${failure.message}`).join('; ') ||
      'unknown',
    at: new Date(at).toISOString(),
  };
}

/**
 * Raises an alert when any saga's compensations fail for good (its `saga/compensation.failed`,
 * sent once per run), and counts it in `shop_saga_compensation_failures_total`. The order itself
 * is marked `failed` by `SagaOutcomes`, independently: neither waits for the other.
 */
@Injectable()
export class CompensationFailureAlerts {
  constructor(private readonly metrics: ShopMetrics) {}

  @InngestFunction({ id: 'alert-compensation-failed', triggers: [{ event: 'saga/compensation.failed' }] })
  async raise({ event, step }: InngestContext<'saga/compensation.failed'>) {
    const alert = await step.run('count-compensation-failure', () => {
      this.metrics.countCompensationFailure(event.data.sagaId);
      return compensationFailedAlert(event.data as unknown as CompensationFailedData, event.ts ?? Date.now());
    });
    await step.sendEvent('raise-alert', alertRaised(alert));
    return { raised: alert.dedupeKey };
  }
}
