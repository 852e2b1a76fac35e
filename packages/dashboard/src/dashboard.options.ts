import type { IncomingHttpHeaders } from 'node:http';
import { DashboardConfigError } from './dashboard.errors';
import { normalizeFieldName } from './redaction';
import type { InngestApiOptions } from './sources/inngest-rest-runs';

/** What a guard sees of a request to the dashboard. */
export interface DashboardRequest {
  /** `GET`, `POST`, ... */
  readonly method: string;
  /** The path and query, as received. */
  readonly url: string;
  /** The request headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** The remote address, when known. */
  readonly ip?: string;
  /** The platform's own request object (Express `Request` or Fastify `FastifyRequest`). */
  readonly raw: unknown;
}

/**
 * Decides whether a request may see the dashboard (and, with `actions`, act). It runs before every
 * page, API and live-update request. A guard with a `challenge` makes a refusal answer `401` with
 * that `WWW-Authenticate` value, so a browser asks for credentials; without one, a refusal is `403`.
 */
export type DashboardGuard = ((request: DashboardRequest) => boolean | Promise<boolean>) & {
  /** The `WWW-Authenticate` value sent with a refusal, e.g. `Basic realm="Sagaline dashboard"`. */
  readonly challenge?: string;
};

/** Which actions the dashboard offers; every action is off unless enabled. */
export interface DashboardActions {
  /** Cancel a running saga by sending its `cancelOn` event (only sagas that declare one). */
  cancelSaga?: boolean;
  /** Force a breaker open, forced closed, or reset it. */
  controlBreakers?: boolean;
}

/** The streams of the event store that hold what a saga's business key wrote. */
export interface SagaStreamRef {
  /** The stream id, e.g. `order-42`. */
  streamId: string;
  /** Its tenant; the store's default tenant when unset. */
  tenantId?: string;
}

/** A saga instance as `businessKeyStreams` receives it. */
export interface DashboardSagaRef {
  /** The saga id. */
  sagaId: string;
  /** Its run id. */
  runId: string;
  /** Its business key. */
  businessKey: string;
  /** The event that started it. */
  event: { name: string; data: Record<string, unknown> };
}

/** Options of `DashboardModule.forRoot()`. */
export interface DashboardModuleOptions {
  /** Where the dashboard is served, from the server's root (a global prefix does not apply). Default `/dashboard`. */
  path?: string;
  /**
   * Who may use the dashboard. Required unless `NODE_ENV` is `development`: without one the module
   * refuses to start. `'none'` opens it to anyone, on purpose (behind a VPN or an authenticating
   * proxy). See {@link basicAuthGuard}.
   */
  guard?: DashboardGuard | 'none';
  /**
   * Which actions are offered: `true` enables all of them. Default `false`: read-only.
   */
  actions?: boolean | DashboardActions;
  /**
   * What is hidden in every payload shown (event data, step outputs, errors), at any depth: the
   * value of any field whose name contains one of {@link DEFAULT_REDACTED_FIELDS} (`accessToken`,
   * `x-api-key`, `card_number`), and of any field named as one given here, becomes `[redacted]`.
   * Names are compared lower-case, without `-` and `_`. Emails, `tok_...` card tokens and card
   * numbers (digit runs that pass the Luhn check) inside any string are masked too. `false` shows
   * everything.
   */
  redact?: string[] | false;
  /**
   * The event-store streams a saga's business key wrote, shown on the saga's page. Default: the
   * stream named by the key itself.
   *
   * @example
   * ```ts
   * businessKeyStreams: (saga) => [{ streamId: `order-${saga.businessKey}`, tenantId: saga.event.data.tenantId as string }]
   * ```
   */
  businessKeyStreams?: (saga: DashboardSagaRef) => SagaStreamRef[];
  /**
   * Reads runs from Inngest's REST API when the app runs on Inngest (Cloud or self-hosted) rather
   * than the embedded engine: a saga's page then shows its run's status and output. Pass the
   * signing key from a secret. Ignored when the embedded engine is there.
   */
  inngestApi?: InngestApiOptions;
  /** How many saga summaries are kept for the list (the newest win). Default 50,000. */
  maxSagas?: number;
  /** Title shown in the page header. Default `Sagaline`. */
  title?: string;
}

/**
 * The words that hide a field by default: a field whose name contains one (lower-case, `-` and `_`
 * ignored, so `refresh_token`, `clientSecret` and `X-Api-Key` all match) is shown as `[redacted]`,
 * at any depth of any payload the dashboard shows.
 */
export const DEFAULT_REDACTED_FIELDS: readonly string[] = [
  'token',
  'secret',
  'password',
  'apiKey',
  'authorization',
  'cookie',
  'cardNumber',
  'cvc',
  'cvv',
  'email',
];

/** @internal The options with defaults applied and checked. */
export interface ResolvedDashboardOptions {
  path: string;
  guard: DashboardGuard | null;
  actions: Required<DashboardActions>;
  /** `words` hide every field whose name contains one, `fields` the fields of exactly that name (both normalised). */
  redact: { words: string[]; fields: Set<string> } | false;
  businessKeyStreams: (saga: DashboardSagaRef) => SagaStreamRef[];
  maxSagas: number;
  title: string;
  inngestApi?: InngestApiOptions;
}

const KNOWN = ['path', 'guard', 'actions', 'redact', 'businessKeyStreams', 'inngestApi', 'maxSagas', 'title'];

/** @internal Applies defaults and fails with `DashboardConfigError` on anything invalid. */
export function resolveDashboardOptions(
  options: DashboardModuleOptions,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): ResolvedDashboardOptions {
  for (const key of Object.keys(options ?? {})) {
    if (!KNOWN.includes(key) && key !== 'isGlobal')
      throw new DashboardConfigError(
        key,
        `\`${key}\` is not a dashboard option; known options: ${KNOWN.join(', ')}.`,
      );
  }
  const path = (options.path ?? '/dashboard').replace(/\/+$/, '');
  if (!/^\/[\w\-./~]+$/.test(path) || path.includes('..'))
    throw new DashboardConfigError(
      'path',
      `\`path\` must be an absolute URL path such as '/dashboard' (letters, digits, - _ . / ~), got ${JSON.stringify(options.path)}.`,
    );
  const { guard } = options;
  if (guard !== undefined && guard !== 'none' && typeof guard !== 'function')
    throw new DashboardConfigError(
      'guard',
      "`guard` must be a function of the request answering true to let it in (see basicAuthGuard), or 'none'.",
    );
  if (guard === undefined && nodeEnv !== 'development')
    throw new DashboardConfigError(
      'guard',
      `The dashboard needs a \`guard\` outside development (NODE_ENV is ${nodeEnv ? `'${nodeEnv}'` : 'unset'}): ` +
        "pass guard: basicAuthGuard({ username, password }) or your own, or guard: 'none' to open it to anyone on purpose.",
    );
  const actions = resolveActions(options.actions);
  const redact = options.redact;
  if (
    redact !== undefined &&
    redact !== false &&
    !(Array.isArray(redact) && redact.every((f) => typeof f === 'string'))
  )
    throw new DashboardConfigError(
      'redact',
      '`redact` must be a list of field names, or false to show everything.',
    );
  const maxSagas = options.maxSagas ?? 50_000;
  if (!Number.isInteger(maxSagas) || maxSagas < 1)
    throw new DashboardConfigError(
      'maxSagas',
      `\`maxSagas\` must be a whole number of at least 1, got ${maxSagas}.`,
    );
  if (options.businessKeyStreams !== undefined && typeof options.businessKeyStreams !== 'function')
    throw new DashboardConfigError(
      'businessKeyStreams',
      '`businessKeyStreams` must be a function of the saga.',
    );
  const { inngestApi } = options;
  if (
    inngestApi !== undefined &&
    !(typeof inngestApi?.signingKey === 'string' && inngestApi.signingKey.length > 0)
  )
    throw new DashboardConfigError(
      'inngestApi.signingKey',
      "`inngestApi.signingKey` must be the app's signing key (INNGEST_SIGNING_KEY), read from a secret.",
    );
  if (inngestApi?.baseUrl !== undefined && !/^https?:\/\/[^/]/.test(inngestApi.baseUrl))
    throw new DashboardConfigError(
      'inngestApi.baseUrl',
      `\`inngestApi.baseUrl\` must be an http(s) URL, got ${JSON.stringify(inngestApi.baseUrl)}.`,
    );
  return {
    ...(inngestApi ? { inngestApi } : {}),
    path,
    guard: typeof guard === 'function' ? guard : null,
    actions,
    redact:
      redact === false
        ? false
        : {
            words: DEFAULT_REDACTED_FIELDS.map(normalizeFieldName),
            fields: new Set((redact ?? []).map(normalizeFieldName)),
          },
    businessKeyStreams: options.businessKeyStreams ?? ((saga) => [{ streamId: saga.businessKey }]),
    maxSagas,
    title: options.title ?? 'Sagaline',
  };
}

function resolveActions(actions: DashboardModuleOptions['actions']): Required<DashboardActions> {
  if (actions === undefined || typeof actions === 'boolean')
    return { cancelSaga: actions === true, controlBreakers: actions === true };
  if (typeof actions !== 'object' || actions === null)
    throw new DashboardConfigError(
      'actions',
      '`actions` must be true, false or { cancelSaga?, controlBreakers? }.',
    );
  for (const key of Object.keys(actions)) {
    if (key !== 'cancelSaga' && key !== 'controlBreakers')
      throw new DashboardConfigError(
        `actions.${key}`,
        `\`actions.${key}\` is not an action; known: cancelSaga, controlBreakers.`,
      );
  }
  return { cancelSaga: actions.cancelSaga === true, controlBreakers: actions.controlBreakers === true };
}
