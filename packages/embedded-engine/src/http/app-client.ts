import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** @internal What the app answered a Call Request. */
export interface AppResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Idle connections are closed after this long: below the 5 s Node (and so Express and Fastify)
 * keeps an idle connection open, so a request never goes out on one the app is closing.
 */
const IDLE_CONNECTION_MS = 2_000;

/**
 * @internal Sends the engine's Call Requests to the app's serve endpoint over kept-alive
 * connections. `node:http` rather than the global `fetch`: a Call Request costs about a quarter
 * of the CPU (no WHATWG streams), and a run makes one per step it does not checkpoint.
 */
export class AppClient {
  private readonly http = new HttpAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  private readonly https = new HttpsAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });

  /** POSTs `body` to `url`; rejects when the app cannot be reached or `signal` aborts. */
  async post(
    url: URL,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<AppResponse> {
    try {
      return await this.send(url, headers, body, signal);
    } catch (error) {
      // A kept-alive connection the app closed as the request went out: nothing reached the app.
      if ((error as { reusedSocket?: boolean }).reusedSocket && !signal.aborted) {
        return this.send(url, headers, body, signal);
      }
      throw error;
    }
  }

  /** Closes the idle connections. */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private send(
    url: URL,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<AppResponse> {
    const secure = url.protocol === 'https:';
    return new Promise<AppResponse>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: secure ? this.https : this.http,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: toHeaders(response.headers),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', (error: Error & { code?: string }) => {
        reject(
          request.reusedSocket && error.code === 'ECONNRESET'
            ? Object.assign(error, { reusedSocket: true })
            : error,
        );
      });
      request.end(body);
    });
  }
}

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}
