export { type AlertSink, type ReceivedAlert, startAlertSink } from './alert-sink';
export {
  type CarrierShipment,
  type CarrierSimulator,
  startCarrier,
  UNDELIVERABLE_POSTAL_CODE,
} from './carrier';
export {
  FAULTS,
  type Fault,
  FaultInjector,
  type FaultSettings,
  PERMANENT_FAILURE_STATUSES,
} from './fault-injection';
export { LedgerLockedError } from './file-lock';
export { SimulatorPortInUseError } from './http-server';
export { JournalCorruptError } from './journal';
export {
  CARD_TOKENS,
  type GatewayCharge,
  type GatewayRefund,
  type PaymentGatewaySimulator,
  startPaymentGateway,
} from './payment-gateway';
export type { SimulatorOptions } from './simulated-service';
export { callSimulator, controlSimulator, type SimulatorAnswer } from './simulator-client';
export {
  type RunningSimulators,
  SIMULATOR_PORT_OFFSETS,
  type SimulatorUrls,
  shopEnvironmentFor,
  startSimulators,
} from './simulators';
export {
  DEFAULT_SIMULATORS_DATA_DIR,
  DEFAULT_SIMULATORS_PORT,
  loadSimulatorsConfig,
  type SimulatorsConfig,
  SimulatorsConfigError,
} from './simulators-config';
export {
  isSimulatorsReady,
  SIMULATORS_READY_LINE,
  type SimulatorsExit,
  type SimulatorsProcess,
  type SimulatorsProcessOptions,
  type SimulatorsReadyMessage,
  SimulatorsStartError,
  startSimulatorsProcess,
} from './simulators-process';
export { type ReceivedEmail, type SmtpSink, startSmtpSink } from './smtp-sink';
