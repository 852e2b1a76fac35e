export {
  type CarrierShipment,
  type CarrierSimulator,
  startCarrier,
  UNDELIVERABLE_POSTAL_CODE,
} from './carrier';
export { FaultInjector, type FaultSettings } from './fault-injection';
export {
  CARD_TOKENS,
  type GatewayCharge,
  type PaymentGatewaySimulator,
  startPaymentGateway,
} from './payment-gateway';
export { type ReceivedEmail, type SmtpSink, startSmtpSink } from './smtp-sink';
