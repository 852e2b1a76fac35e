import type { ServerResponse } from 'node:http';
import type { SagaSummary } from '../sources/saga-index';
import type { AppendedStreamLike, BreakerSnapshotLike } from '../sources/source.types';

/** How long saga changes are gathered before they are pushed: many saves, one message. */
const FLUSH_MS = 100;
/** At most this often, the breakers' counts follow saga activity (their calls happen in steps). */
const BREAKER_REFRESH_MS = 1000;
const HEARTBEAT_MS = 15_000;

/**
 * @internal The Server-Sent Events feed of every open page. Changes are pushed as they happen in
 * this process (saga saves, event-store appends, breaker transitions), gathered for 100 ms, never
 * polled per row.
 */
export class LiveHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly sagas = new Map<string, SagaSummary>();
  private readonly streams = new Map<string, AppendedStreamLike>();
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastBreakers = 0;

  constructor(
    private readonly breakers: (() => BreakerSnapshotLike[]) | undefined,
    private readonly redact: (value: unknown) => unknown,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Turns a response into an event stream until the client goes away. */
  open(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 1000\n\n');
    this.clients.add(response);
    response.on('close', () => {
      this.clients.delete(response);
      if (this.clients.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    });
    this.heartbeat ??= setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS).unref();
    if (this.breakers) this.send('breakers', this.breakers());
  }

  /** A saga changed: pushed within `FLUSH_MS`, with every other change of that window. */
  sagaChanged(summary: SagaSummary): void {
    if (this.clients.size === 0) return;
    this.sagas.set(summary.runId, { ...summary });
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Streams were appended to: pushed within `FLUSH_MS` (their ids only; the page reads what it shows). */
  streamsAppended(streams: AppendedStreamLike[]): void {
    if (this.clients.size === 0) return;
    for (const stream of streams) this.streams.set(`${stream.tenantId}\u0000${stream.streamId}`, stream);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** A breaker changed state: pushed at once. */
  breakerChanged(): void {
    if (this.clients.size === 0 || !this.breakers) return;
    this.lastBreakers = Date.now();
    this.send('breakers', this.breakers());
  }

  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private flush(): void {
    this.flushTimer = null;
    const changed = [...this.sagas.values()];
    this.sagas.clear();
    if (changed.length > 0) this.send('sagas', this.redact(changed));
    if (this.streams.size > 0) {
      this.send('streams', [...this.streams.values()]);
      this.streams.clear();
    }
    if (this.breakers && Date.now() - this.lastBreakers >= BREAKER_REFRESH_MS) {
      this.lastBreakers = Date.now();
      this.send('breakers', this.breakers());
    }
  }

  private send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(chunk: string): void {
    for (const client of this.clients) client.write(chunk);
  }
}
