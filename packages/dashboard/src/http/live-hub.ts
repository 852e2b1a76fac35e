import type { ServerResponse } from 'node:http';
import type { SagaSummary } from '../sources/saga-index';
import type { AppendedStreamLike, BreakerSnapshotLike } from '../sources/source.types';

/** How long saga changes are gathered before they are pushed: many saves, one message. */
const FLUSH_MS = 100;
/** At most this often, the breakers' counts follow saga activity (their calls happen in steps). */
const BREAKER_REFRESH_MS = 1000;
const HEARTBEAT_MS = 15_000;
/** A client with this much unsent is stalled: it is dropped (its page reconnects) rather than buffered for without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** One Server-Sent Event. */
const message = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

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
  private breakersTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastBreakers = 0;

  constructor(
    private readonly breakers: (() => BreakerSnapshotLike[]) | undefined,
    private readonly redact: (value: unknown) => unknown,
  ) {}

  /** Turns a response into an event stream until the client goes away. */
  open(response: ServerResponse): void {
    // gone while the guard ran: its 'close' has passed, so it would never leave the set
    if (response.destroyed) return;
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
    if (this.breakers) response.write(message('breakers', this.breakers()));
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
    if (this.breakersTimer) clearTimeout(this.breakersTimer);
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
    this.refreshBreakers();
  }

  /** Sends the breakers' counts now, or once `BREAKER_REFRESH_MS` has passed since the last: the last activity's counts always arrive. */
  private refreshBreakers(): void {
    if (!this.breakers || this.breakersTimer) return;
    const wait = this.lastBreakers + BREAKER_REFRESH_MS - Date.now();
    if (wait > 0) {
      this.breakersTimer = setTimeout(() => {
        this.breakersTimer = null;
        this.refreshBreakers();
      }, wait);
      return;
    }
    this.lastBreakers = Date.now();
    this.send('breakers', this.breakers());
  }

  private send(event: string, data: unknown): void {
    this.write(message(event, data));
  }

  private write(chunk: string): void {
    for (const client of this.clients) {
      if (client.writableLength > MAX_BUFFERED_BYTES) {
        this.clients.delete(client);
        client.destroy();
      } else client.write(chunk);
    }
  }
}
