import { HttpAnswer } from '../dashboard.answer';
import type { EngineLike, RunLike } from './source.types';

/** How the dashboard reads runs from Inngest's REST API (Inngest Cloud or a self-hosted server). */
export interface InngestApiOptions {
  /** The app's signing key (`INNGEST_SIGNING_KEY`), sent as a bearer token. */
  signingKey: string;
  /** The API's address. Default `https://api.inngest.com`. */
  baseUrl?: string;
  /** How long a request may take (ms). Default 5000. */
  timeoutMs?: number;
}

/** A run as Inngest's REST API answers it. */
interface ApiRun {
  run_id: string;
  function_id?: string;
  status?: string;
  event_id?: string;
  run_started_at?: string;
  started_at?: string;
  ended_at?: string | null;
  output?: unknown;
}

/**
 * @internal Runs read from Inngest's REST API, for apps that run on Inngest rather than the
 * embedded engine: a run by id (`GET /v1/runs/:id`). That API has no list of every run and no step
 * timeline, so the runs page shows a saga's run, not all of them.
 */
export class InngestRestRuns implements EngineLike {
  private readonly baseUrl: string;

  constructor(private readonly options: InngestApiOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://api.inngest.com').replace(/\/+$/, '');
  }

  async getRun(runId: string): Promise<RunLike | undefined> {
    const run = await this.get<ApiRun>(`/v1/runs/${encodeURIComponent(runId)}`);
    return run ? toRun(run) : undefined;
  }

  async listRuns(): Promise<RunLike[]> {
    throw new HttpAnswer(
      501,
      "Inngest's REST API has no list of runs: open a saga to see its run, or Inngest's own dashboard for all of them.",
    );
  }

  private async get<T>(path: string): Promise<T | undefined> {
    // unreachable, timed out or not JSON: a bad gateway like an error status, not a failure of ours
    const unreadable = (error: Error) => {
      throw new HttpAnswer(
        502,
        `Could not read ${path} from Inngest's API at ${this.baseUrl}: ${error.message}`,
      );
    };
    const response = await fetch(this.baseUrl + path, {
      headers: { authorization: `Bearer ${this.options.signingKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
    }).catch(unreadable);
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new HttpAnswer(
        502,
        `Inngest's API answered ${response.status} for ${path}; check inngestApi.signingKey and baseUrl.`,
      );
    return ((await response.json().catch(unreadable)) as { data: T }).data;
  }
}

function toRun(run: ApiRun): RunLike {
  const started = Date.parse(run.run_started_at ?? run.started_at ?? '');
  const ended = run.ended_at ? Date.parse(run.ended_at) : Number.NaN;
  return {
    id: run.run_id,
    functionId: run.function_id ?? '',
    status: (run.status ?? 'unknown').toLowerCase(),
    event: { id: run.event_id ?? '', name: '', data: {} },
    output: run.output,
    createdAt: Number.isFinite(started) ? started : 0,
    ...(Number.isFinite(ended) ? { endedAt: ended } : {}),
    timeline: [],
    pending: [],
  };
}
