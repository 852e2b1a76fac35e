import type { ShopConfig } from '../config/shop-config';
import { AlertDelivery } from './alert-delivery';
import { AlertingMetrics } from './alerting-metrics';
import { CompensationFailureAlerts } from './compensation-failure-alerts';
import { createSagaStallScan, StalledSagaFinder } from './saga-stall-scan';

/**
 * The alerting's providers, for `ShopModule`: alerts for failed compensations and stalled sagas,
 * their delivery to `ALERT_WEBHOOK_URL`, and the metrics `ops/prometheus/alerts.yml` reads.
 */
export function alertingProviders(config: Pick<ShopConfig, 'sagaStallScan'>) {
  return [
    AlertDelivery,
    CompensationFailureAlerts,
    StalledSagaFinder,
    createSagaStallScan(config),
    AlertingMetrics,
  ];
}
