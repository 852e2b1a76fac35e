import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Where the simulators keep their ledgers when `SIMULATORS_DATA_DIR` is not set: the example's `.data/simulators`. */
export const DEFAULT_SIMULATORS_DATA_DIR = fileURLToPath(new URL('../../.data/simulators', import.meta.url));

/** The first of the simulators' five ports when `SIMULATORS_PORT` is not set (4100 to 4104). */
export const DEFAULT_SIMULATORS_PORT = 4100;

/** How the simulators are started: read from the environment by {@link loadSimulatorsConfig}. */
export interface SimulatorsConfig {
  /** Directory of their ledgers (`SIMULATORS_DATA_DIR`). */
  dataDir: string;
  /** Their first port (`SIMULATORS_PORT`, default 4100; 0 picks free ports). */
  port: number;
  /** Where the shop sends alerts (`ALERT_WEBHOOK_URL`); the simulators' alert sink when unset. */
  alertWebhookUrl?: string;
}

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const environmentSchema = z.object({
  SIMULATORS_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  SIMULATORS_PORT: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(0)
      .max(65_531, 'the simulators need five ports from this one: at most 65531')
      .default(DEFAULT_SIMULATORS_PORT),
  ),
  ALERT_WEBHOOK_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
});

/** The environment named a simulator setting that cannot be used; the message names the variable. */
export class SimulatorsConfigError extends Error {
  readonly code = 'SIMULATORS_CONFIG_INVALID';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid simulators configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'SimulatorsConfigError';
  }
}

/** Reads `SIMULATORS_DATA_DIR`, `SIMULATORS_PORT` and `ALERT_WEBHOOK_URL`, with their defaults. */
export function loadSimulatorsConfig(
  env: Record<string, string | undefined> = process.env,
): SimulatorsConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new SimulatorsConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })),
    );
  }
  return {
    dataDir: parsed.data.SIMULATORS_DATA_DIR ?? DEFAULT_SIMULATORS_DATA_DIR,
    port: parsed.data.SIMULATORS_PORT,
    alertWebhookUrl: parsed.data.ALERT_WEBHOOK_URL,
  };
}
