import { Inject, Injectable, Logger } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { NonRetriableError, RetryAfterError } from 'inngest';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import { ShopMetrics } from '../metrics/shop-metrics';
import { type AlertPostResult, AlertWebhookClient, AlertWebhookError } from './alert-webhook.client';
import { ALERT_RAISED, type ShopAlert } from './shop-alert';

/**
 * Posts each raised alert to `ALERT_WEBHOOK_URL`, in a function of its own: a webhook that is down
 * delays the alert (Inngest retries the post 10 times, with growing backoff, after a `429` when it
 * asks) and never a saga, which has moved on. An alert the webhook refuses (`4xx`) is not retried.
 */
@Injectable()
export class AlertDelivery {
  private readonly webhook: AlertWebhookClient;
  private readonly logger = new Logger(AlertDelivery.name);

  constructor(
    @Inject(SHOP_SETTINGS) settings: ShopSettings,
    private readonly metrics: ShopMetrics,
  ) {
    this.webhook = new AlertWebhookClient(settings.alertWebhookUrl, settings.alertWebhookTimeoutMs);
  }

  /** One run per alert: its event id is the alert's key, and so is the function's idempotency key. */
  @InngestFunction({
    id: 'deliver-alert',
    triggers: [{ event: ALERT_RAISED }],
    idempotency: 'event.data.dedupeKey',
    retries: 10,
  })
  async deliver({ event, step }: InngestContext<'alert.raised'>) {
    return step.run('post-to-webhook', () => this.post(event.data));
  }

  private async post(alert: ShopAlert): Promise<AlertPostResult> {
    try {
      const result = await this.webhook.post(alert);
      this.metrics.countAlertDelivery(alert.kind, 'delivered');
      this.logger.log(
        `Alert ${alert.dedupeKey} delivered (${result.status}${result.duplicate ? ', already there' : ''}).`,
      );
      return result;
    } catch (error) {
      this.metrics.countAlertDelivery(alert.kind, 'failed'); // Inngest logs the error with the step
      if (!(error instanceof AlertWebhookError)) throw error;
      if (error.permanent) throw new NonRetriableError(error.message, { cause: error });
      if (error.retryAfterMs !== undefined) {
        throw new RetryAfterError(error.message, error.retryAfterMs, { cause: error });
      }
      throw error;
    }
  }
}
