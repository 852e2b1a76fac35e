import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HttpAnswer } from '../dashboard.answer';
import { DashboardRuntime } from '../dashboard.runtime';
import { ASSETS, assetVersion, renderPage } from '../ui/assets';
import { answer, answerJson, type Exchange, exchangeOf } from './platform';

type Handler = (exchange: Exchange) => unknown;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * @internal Mounts the page, its assets, the JSON API and the live feed on the app's HTTP server,
 * directly on the platform (Express or Fastify): the dashboard's own guard decides, and the app's
 * global guards, pipes and interceptors (a tenant header, a throttle) do not apply.
 */
@Injectable()
export class DashboardRoutes implements OnModuleInit {
  private readonly logger = new Logger('Dashboard');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly runtime: DashboardRuntime,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return; // no HTTP server (a standalone app or a test module)
    const base = this.runtime.options.path;
    const get = (path: string, handler: Handler) =>
      adapter.get(base + path, (request: unknown, reply: unknown) => this.serve(request, reply, handler));
    const post = (path: string, handler: Handler) =>
      adapter.post(base + path, (request: unknown, reply: unknown) =>
        this.serve(request, reply, handler, true),
      );

    get('', ({ response }) => {
      const ready = this.runtime.apiOrNull;
      const boot = ready ? { overview: ready.overview(), sagas: ready.sagas({}) } : null;
      answer(response, 200, renderPage(base, this.runtime.options.title, boot), {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': CSP,
      });
    });
    for (const [name, file] of Object.entries(ASSETS)) {
      get(`/${name}`, ({ request, url, response }) => {
        // the page links this version: kept for good; any other URL is revalidated each time
        const cacheControl =
          url.searchParams.get('v') === assetVersion(file)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache';
        if (request.headers['if-none-match'] === file.etag)
          return answer(response, 304, '', { etag: file.etag, 'cache-control': cacheControl });
        answer(response, 200, file.body, {
          'content-type': file.type,
          etag: file.etag,
          'cache-control': cacheControl,
        });
      });
    }
    const api = () => {
      const ready = this.runtime.apiOrNull;
      if (!ready) throw new HttpAnswer(503, 'The app is still starting.');
      return ready;
    };
    const json = (path: string, read: (url: URL) => unknown) =>
      get(`/api/${path}`, async ({ url, response }) => answerJson(response, 200, await read(url)));
    json('overview', () => api().overview());
    json('sagas', (url) =>
      api().sagas({
        ...param(url, 'status'),
        ...param(url, 'sagaId'),
        ...param(url, 'q'),
        page: number(url, 'page'),
        size: number(url, 'size'),
      }),
    );
    json('saga', (url) => api().saga(required(url, 'runId')));
    json('runs', (url) =>
      api().runs({
        ...param(url, 'functionId'),
        ...param(url, 'status'),
        page: number(url, 'page'),
        size: number(url, 'size'),
      }),
    );
    json('run', (url) => api().run(required(url, 'runId')));
    json('breakers', () => api().breakers());
    json('streams', (url) =>
      api().streamList({
        ...param(url, 'category'),
        ...param(url, 'tenantId'),
        ...param(url, 'q'),
        page: number(url, 'page'),
      }),
    );
    json('stream', (url) =>
      api().stream(
        required(url, 'streamId'),
        url.searchParams.get('tenantId') || undefined,
        number(url, 'from'),
      ),
    );
    json('subscriptions', () => api().subscriptions());
    get('/api/live', ({ response }) => {
      const hub = this.runtime.live;
      if (!hub) throw new HttpAnswer(503, 'The app is still starting.');
      hub.open(response);
    });
    post('/api/actions/cancel-saga', async ({ url, response }) =>
      answerJson(response, 200, await api().cancelSaga(required(url, 'runId'))),
    );
    post('/api/actions/breaker', async ({ url, response }) =>
      answerJson(response, 200, await api().controlBreaker(required(url, 'name'), required(url, 'to'))),
    );
  }

  private async serve(platformRequest: unknown, platformReply: unknown, handler: Handler, action = false) {
    const exchange = exchangeOf(platformRequest, platformReply);
    const { request, response } = exchange;
    try {
      const guard = this.runtime.options.guard;
      if (guard && !(await guard(request))) {
        const challenge = guard.challenge;
        return answer(
          response,
          challenge ? 401 : 403,
          JSON.stringify({ message: 'The dashboard guard refused this request.' }),
          {
            'content-type': 'application/json; charset=utf-8',
            ...(challenge ? { 'www-authenticate': challenge } : {}),
          },
        );
      }
      // a form or an image on another site cannot set this header: actions are not cross-site requests
      if (action && request.headers['x-sagaline-dashboard'] !== 'action')
        throw new HttpAnswer(400, 'Actions need the header x-sagaline-dashboard: action.');
      await handler(exchange);
    } catch (error) {
      if (response.headersSent) return void response.end();
      if (error instanceof HttpAnswer) return answerJson(response, error.status, { message: error.message });
      this.logger.error(`${request.method} ${request.url} failed: ${(error as Error).stack ?? error}`);
      answerJson(response, 500, { message: 'The dashboard could not answer; see the app log.' });
    }
  }
}

const param = (url: URL, name: string) => {
  const value = url.searchParams.get(name);
  return value ? { [name]: value } : {};
};
const number = (url: URL, name: string) => {
  const value = Number(url.searchParams.get(name));
  return Number.isFinite(value) && value > 0 ? value : undefined;
};
const required = (url: URL, name: string) => {
  const value = url.searchParams.get(name);
  if (!value) throw new HttpAnswer(400, `The query parameter \`${name}\` is required.`);
  return value;
};
