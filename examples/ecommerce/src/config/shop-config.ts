import { z } from 'zod';
import { DEFAULT_TENANTS, type TenantConfig, tenantConfigSchema } from './tenants';

/** Everything the shop can be configured with; `loadShopConfig` reads it from the environment. */
export interface ShopConfig {
  /** HTTP port of the shop (`PORT`, default 3000; 0 picks a free port). */
  port: number;
  /** Host to listen on (`HOST`, default `127.0.0.1`). */
  host: string;
  /** PostgreSQL connection string (`DATABASE_URL`); PGlite in memory when unset. */
  databaseUrl?: string;
  /** PostgreSQL schema for the shop's tables (`DATABASE_SCHEMA`, default `shop`). */
  databaseSchema: string;
  /** Directory PGlite keeps its data in (`PGLITE_DIR`); in memory when unset. */
  pgliteDir?: string;
  /** Redis for the circuit breakers' shared state (`REDIS_URL`); in-process when unset. */
  redisUrl?: string;
  /** Prefix of the breakers' keys in Redis (`BREAKER_KEY_PREFIX`, default `shop:circuit`). */
  breakerKeyPrefix: string;
  /** Where email is sent (`SMTP_URL`); the example's own SMTP sink when unset. */
  smtpUrl?: string;
  /** Sender of the shop's email (`MAIL_FROM`). */
  mailFrom: string;
  /** Base URL of the payment gateway (`PAYMENT_GATEWAY_URL`); the simulator when unset. */
  paymentGatewayUrl?: string;
  /** Base URL of the carrier (`CARRIER_URL`); the simulator when unset. */
  carrierUrl?: string;
  /**
   * Calls to the gateway and the carrier give up after this many ms (`HTTP_TIMEOUT_MS`): their
   * circuit breakers' `timeoutMs`, which aborts the request.
   */
  httpTimeoutMs: number;
  /** How long a circuit breaker (gateway, carrier) stays open before it lets probes through (`BREAKER_OPEN_MS`). */
  breakerOpenMs: number;
  /** How long a backordered order waits for a restock before it is cancelled (`BACKORDER_TIMEOUT`, an Inngest duration such as `2m`). */
  backorderTimeout: string;
  /** Scales the embedded engine's retry backoff (`ENGINE_RETRY_BACKOFF_SCALE`, default 1; tests use 0.001). */
  engineRetryBackoffScale: number;
  /** Requests per window a client may make (`THROTTLE_LIMIT`). */
  throttleLimit: number;
  /** The rate limit's window in ms (`THROTTLE_TTL_MS`). */
  throttleTtlMs: number;
  /** Tenants and their settings (`TENANTS`, JSON); two demo tenants when unset. */
  tenants: TenantConfig[];
  /**
   * The tenant of a request without an `x-tenant-id` header (`DEFAULT_TENANT`, default the first
   * tenant: `acme` of the demo tenants), so a single-shop client never names one.
   */
  defaultTenant: string;
  /**
   * Refuse a request without an `x-tenant-id` header (400 `TENANT_MISSING`) instead of serving the
   * default tenant (`REQUIRE_TENANT_HEADER`, default `false`): for a deployment where every
   * client must say which merchant it is.
   */
  requireTenantHeader: boolean;
  /**
   * How long a request holds its `Idempotency-Key` with no answer stored (`IDEMPOTENCY_LEASE_MS`,
   * default 30 s): after that a retry runs it again, so a key whose request died with its process
   * is not stuck at 409.
   */
  idempotencyLeaseMs: number;
  /**
   * The key that seals customer data (email, phone, address, card tokens) wherever the shop stores
   * or sends it (`PII_ENCRYPTION_KEY`, 32 bytes in base64); a public development key when unset.
   */
  piiEncryptionKey?: string;
  /**
   * Where the shop posts its alerts, a compensation that failed for good or a stalled saga
   * (`ALERT_WEBHOOK_URL`, http or https); the simulators' alert sink when unset.
   */
  alertWebhookUrl?: string;
  /** A post to the alert webhook gives up after this many ms and is retried (`ALERT_WEBHOOK_TIMEOUT_MS`, default 5 s). */
  alertWebhookTimeoutMs: number;
  /**
   * A running saga that has made no progress for this long is stalled and raises an alert
   * (`SAGA_STALL_AFTER`, a duration such as `10m`, the default). Retrying the same step is no
   * progress; waiting at one of its own `waitForEvent` or `sleep` steps is not a stall.
   */
  sagaStallAfterMs: number;
  /**
   * When the shop looks for stalled sagas (`SAGA_STALL_SCAN`, a cron expression; default every
   * minute, `* * * * *`). The embedded engine also takes a leading seconds field
   * (`0,30 * * * * *`: every 30 s).
   */
  sagaStallScan: string;
  /** Nest log levels (`LOG_LEVEL`: `none`, `error`, `warn`, `log`, `debug`). */
  logLevel: 'none' | 'error' | 'warn' | 'log' | 'debug';
}

const optionalUrl = z.url().optional();
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** A duration as Inngest writes them: a whole number and a unit. */
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationMs = (duration: string) => {
  const [, amount, unit] = DURATION.exec(duration) ?? [];
  return Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
};
/** A cron schedule: an optional `TZ=<zone>` prefix, then 5 fields (6 with seconds first). */
const CRON = /^(TZ=\S+\s+)?[\w*,/?#-]+(\s+[\w*,/?#-]+){4,5}$/;

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.preprocess(emptyAsUndefined, optionalUrl),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'use lowercase letters, digits and underscores')
    .default('shop'),
  PGLITE_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  REDIS_URL: z.preprocess(emptyAsUndefined, optionalUrl),
  BREAKER_KEY_PREFIX: z.string().min(1).default('shop:circuit'),
  SMTP_URL: z.preprocess(emptyAsUndefined, optionalUrl),
  MAIL_FROM: z.string().default('Sagaline Shop <shop@sagaline.test>'),
  PAYMENT_GATEWAY_URL: z.preprocess(emptyAsUndefined, optionalUrl),
  CARRIER_URL: z.preprocess(emptyAsUndefined, optionalUrl),
  HTTP_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  BREAKER_OPEN_MS: z.coerce.number().int().positive().default(10_000),
  BACKORDER_TIMEOUT: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'use a number and a unit, e.g. 30s, 2m, 1h, 7d')
    .default('2m'),
  ENGINE_RETRY_BACKOFF_SCALE: z.coerce.number().min(0).default(1),
  THROTTLE_LIMIT: z.coerce.number().int().positive().default(100),
  THROTTLE_TTL_MS: z.coerce.number().int().positive().default(1_000),
  TENANTS: z.preprocess(
    (value) => (typeof value === 'string' && value !== '' ? JSON.parse(value) : undefined),
    z.array(tenantConfigSchema).min(1).optional(),
  ),
  DEFAULT_TENANT: z.preprocess(emptyAsUndefined, z.string().optional()),
  REQUIRE_TENANT_HEADER: z.preprocess(emptyAsUndefined, z.stringbool().default(false)),
  IDEMPOTENCY_LEASE_MS: z.coerce.number().int().positive().default(30_000),
  PII_ENCRYPTION_KEY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (value) => Buffer.from(value, 'base64').length === 32,
        'use 32 random bytes in base64, e.g. `openssl rand -base64 32`',
      )
      .optional(),
  ),
  ALERT_WEBHOOK_URL: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/, error: 'use an http(s) URL, e.g. https://alerts.example.com/hooks/shop' })
      .optional(),
  ),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  SAGA_STALL_AFTER: z
    .string()
    .regex(DURATION, 'use a number and a unit, e.g. 30s, 10m, 1h')
    .default('10m')
    .transform(durationMs),
  SAGA_STALL_SCAN: z
    .string()
    .regex(
      CRON,
      'use a cron expression of 5 fields, or 6 with seconds first, e.g. `* * * * *` (every minute)',
    )
    .default('* * * * *'),
  LOG_LEVEL: z.enum(['none', 'error', 'warn', 'log', 'debug']).default('log'),
});

/** The environment named a setting the shop cannot use; the message names each variable and the fix. */
export class ShopConfigError extends Error {
  readonly code = 'SHOP_CONFIG_INVALID';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid shop configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'ShopConfigError';
  }
}

/** Reads the configuration from environment variables, with defaults that run on a fresh machine. */
export function loadShopConfig(env: Record<string, string | undefined> = process.env): ShopConfig {
  let parsed: ReturnType<typeof environmentSchema.safeParse>;
  try {
    parsed = environmentSchema.safeParse(env);
  } catch (error) {
    throw new ShopConfigError([
      { variable: 'TENANTS', message: `not valid JSON (${(error as Error).message})` },
    ]);
  }
  if (!parsed.success) {
    throw new ShopConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })),
    );
  }
  const e = parsed.data;
  const tenants = e.TENANTS ?? DEFAULT_TENANTS;
  const defaultTenant = e.DEFAULT_TENANT ?? tenants[0].id;
  if (!tenants.some((tenant) => tenant.id === defaultTenant)) {
    throw new ShopConfigError([
      {
        variable: 'DEFAULT_TENANT',
        message: `no tenant "${defaultTenant}"; name one of ${tenants.map((tenant) => tenant.id).join(', ')}`,
      },
    ]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    pgliteDir: e.PGLITE_DIR,
    redisUrl: e.REDIS_URL,
    breakerKeyPrefix: e.BREAKER_KEY_PREFIX,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    paymentGatewayUrl: e.PAYMENT_GATEWAY_URL,
    carrierUrl: e.CARRIER_URL,
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
    breakerOpenMs: e.BREAKER_OPEN_MS,
    backorderTimeout: e.BACKORDER_TIMEOUT,
    engineRetryBackoffScale: e.ENGINE_RETRY_BACKOFF_SCALE,
    throttleLimit: e.THROTTLE_LIMIT,
    throttleTtlMs: e.THROTTLE_TTL_MS,
    idempotencyLeaseMs: e.IDEMPOTENCY_LEASE_MS,
    piiEncryptionKey: e.PII_ENCRYPTION_KEY,
    tenants,
    defaultTenant,
    requireTenantHeader: e.REQUIRE_TENANT_HEADER,
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    alertWebhookTimeoutMs: e.ALERT_WEBHOOK_TIMEOUT_MS,
    sagaStallAfterMs: e.SAGA_STALL_AFTER,
    sagaStallScan: e.SAGA_STALL_SCAN,
    logLevel: e.LOG_LEVEL,
  };
}
