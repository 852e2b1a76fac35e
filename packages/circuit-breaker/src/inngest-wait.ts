import type { CircuitSnapshot } from './circuit-breaker';

/** The one step tool `waitForCircuit` needs. */
export interface SleepUntilStep {
  sleepUntil(id: string, time: Date): Promise<unknown>;
}

/**
 * A durable wait until an open breaker lets probes through: `step.sleepUntil` the probe time.
 * `RetryAfterError` uses up one of the function's attempts; an outage longer than the remaining
 * attempts should wait like this instead. Resolves at once when the breaker is not open.
 *
 * @example
 * ```ts
 * await waitForCircuit(step, breakers.get('payment-gateway'));
 * const charge = await step.run('charge', () => breakers.execute('payment-gateway', () => gateway.charge(card)));
 * ```
 */
export async function waitForCircuit(
  step: SleepUntilStep,
  circuit: CircuitSnapshot,
  stepId?: string,
): Promise<void> {
  if (circuit.state !== 'open' || circuit.probeAt <= Date.now()) return;
  await step.sleepUntil(stepId ?? `circuit:${circuit.name}:${circuit.probeAt}`, new Date(circuit.probeAt));
}
