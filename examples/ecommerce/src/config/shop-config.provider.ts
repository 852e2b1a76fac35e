import type { ShopConfig } from './shop-config';

/** Where the shop's external services are, once the simulated ones (if any) have started. */
export interface ServiceEndpoints {
  paymentGatewayUrl: string;
  carrierUrl: string;
  smtpUrl: string;
  /** Where alerts are posted: `ALERT_WEBHOOK_URL`, or the simulators' alert sink. */
  alertWebhookUrl: string;
}

/** The configuration the app runs with: the environment's settings plus the resolved endpoints. */
export type ShopSettings = ShopConfig & ServiceEndpoints;

/** Injection token of `ShopSettings`. */
export const SHOP_SETTINGS = Symbol.for('sagaline:example:shop-settings');
