import { encodeCheckpoint } from '../checkpoint';
import { ALL_TENANTS, type RecordedEvent } from '../event.types';
import { TransactionAbortedError } from '../event-store.errors';
import type { ProjectionDocuments } from '../projections';
import type { ClaimedBatch, RawAppendOutcome, StorageBackend, StorageTransaction } from '../storage';
import type { CheckedReadAll, CheckedReadStream, PreparedEvent } from '../validation';
import { RETRYABLE_SQLSTATES, type SqlConnection, type SqlExecutor } from './sql-connection';
import { StreamAppendGate } from './stream-append-gate';

const MAX_ATTEMPTS = 8;

const EVENT_COLUMNS =
  'global_position, tx_id::text AS tx, tenant_id, stream_id, stream_version, event_id, event_type, schema_version, data, metadata, created_at';

function toEvent(row: any): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
    schemaVersion: row.schema_version,
    tenantId: row.tenant_id,
    streamId: row.stream_id,
    // node-postgres returns int8 as strings, PGlite as numbers
    streamVersion: Number(row.stream_version),
    globalPosition: Number(row.global_position),
    checkpoint: encodeCheckpoint(row.tx, row.global_position),
    timestamp: row.created_at,
  };
}

/** @internal The batch of an append as one JSON text: the payloads are already JSON, so they are spliced in, not re-encoded. */
function batchJson(events: PreparedEvent[]): string {
  return `[${events
    .map(
      (e) =>
        `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"v":${e.schemaVersion},"data":${e.data},"metadata":${e.metadata}}`,
    )
    .join(',')}]`;
}

/** @internal PostgreSQL and PGlite: the same SQL over either driver. */
export class SqlBackend implements StorageBackend {
  private readonly gate = new StreamAppendGate();
  private readonly t: {
    events: string;
    streams: string;
    checkpoints: string;
    documents: string;
    append: string;
    readAll: string;
    claimBatch: string;
  };

  constructor(
    readonly kind: 'postgres' | 'pglite',
    private readonly connection: SqlConnection,
    schema: string,
  ) {
    const s = `"${schema}"`;
    this.t = {
      events: `${s}.es_events`,
      streams: `${s}.es_streams`,
      checkpoints: `${s}.es_checkpoints`,
      documents: `${s}.es_documents`,
      append: `${s}.es_append`,
      readAll: `${s}.es_read_all`,
      claimBatch: `${s}.es_claim_batch`,
    };
  }

  async transaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    return this.retrying(() =>
      this.connection.transaction(async (executor) => {
        // A statement that failed aborts the whole transaction, even when the work caught its error:
        // PostgreSQL then answers COMMIT with ROLLBACK and raises nothing.
        let failed: unknown;
        const watched: SqlExecutor = {
          query: (text, params) =>
            executor.query(text, params).catch((error: unknown) => {
              failed ??= error;
              throw error;
            }),
        };
        const result = await work(this.transactionOn(watched));
        if (failed !== undefined) throw abortedBy(failed);
        return result;
      }),
    );
  }

  append(
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): Promise<RawAppendOutcome> {
    // One statement is its own transaction: one round trip.
    const send = () =>
      this.retrying(() => this.appendOn(this.connection, tenantId, streamId, expected, events));
    if (expected === null) return send();
    const fresh = events.every((event) => event.generatedId);
    // Not `${tenantId}/${streamId}`: tenant "a/b" with stream "c" would share a line with tenant "a" and stream "b/c".
    return this.gate.run(JSON.stringify([tenantId, streamId]), expected, fresh, send);
  }

  async readStream(
    streamId: string,
    o: CheckedReadStream,
  ): Promise<{ events: RecordedEvent[]; version: number }> {
    const head = `(SELECT version FROM ${this.t.streams} WHERE tenant_id = $1 AND stream_id = $2)`;
    const range = o.backward
      ? `stream_version <= coalesce($3, ${head}) AND stream_version >= coalesce($4, 1) ORDER BY stream_version DESC`
      : `stream_version >= coalesce($3, 1) AND stream_version <= coalesce($4, ${head}) ORDER BY stream_version ASC`;
    // The events and the stream's version from one snapshot, in one round trip.
    const { rows } = await this.connection.query(
      `SELECT ${EVENT_COLUMNS}, ${head} AS stream_head FROM ${this.t.events}
        WHERE tenant_id = $1 AND stream_id = $2 AND ${range} LIMIT $5`,
      [o.tenantId, streamId, o.from, o.to, o.maxCount],
    );
    if (rows.length > 0) return { version: Number(rows[0].stream_head), events: rows.map(toEvent) };
    // Nothing in range: the stream may still exist.
    const { rows: stream } = await this.connection.query(head.slice(1, -1), [o.tenantId, streamId]);
    return { events: [], version: stream[0] ? Number(stream[0].version) : 0 };
  }

  readAll(options: CheckedReadAll): Promise<RecordedEvent[]> {
    return this.readAllOn(this.connection, options);
  }

  async consume(
    name: string,
    filter: Omit<CheckedReadAll, 'after'>,
    handle: (batch: ClaimedBatch) => Promise<void>,
  ): Promise<{ count: number; checkpoint: string } | null> {
    return this.retrying(() =>
      this.connection.transaction(async (executor) => {
        // Claim, checkpoint and read take no transaction id, so the read's snapshot does not hide
        // events behind our own transaction; only the handler's writes and the checkpoint write do.
        const { rows } = await executor.query(
          `SELECT ${EVENT_COLUMNS} FROM ${this.t.claimBatch}($1, $2, $3::text[], $4)`,
          [name, filter.tenantId === ALL_TENANTS ? null : filter.tenantId, filter.types, filter.maxCount],
        );
        const events = rows.map(toEvent);
        if (events.length === 0) return { count: 0, checkpoint: '' };
        await handle({ events, transaction: this.transactionOn(executor) });
        const last = events.at(-1)!;
        const [tx, position] = last.checkpoint.split(':').map((part) => part.replace(/^0+(?=\d)/, ''));
        await executor.query(
          `INSERT INTO ${this.t.checkpoints} (name, tx_id, global_position) VALUES ($1, $2::xid8, $3)
           ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, global_position = EXCLUDED.global_position, updated_at = now()`,
          [name, tx, position],
        );
        return { count: events.length, checkpoint: last.checkpoint };
      }),
    );
  }

  async getDocument(projection: string, tenantId: string, id: string): Promise<unknown | null> {
    const { rows } = await this.connection.query(
      `SELECT doc FROM ${this.t.documents} WHERE projection = $1 AND tenant_id = $2 AND id = $3`,
      [projection, tenantId, id],
    );
    return rows[0]?.doc ?? null;
  }

  async listDocuments(projection: string, tenantId: string, limit: number, after: string | null) {
    const { rows } = await this.connection.query(
      `SELECT id, doc FROM ${this.t.documents}
        WHERE projection = $1 AND tenant_id = $2 AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4`,
      [projection, tenantId, after, limit],
    );
    return rows.map((row) => ({ id: row.id as string, doc: row.doc as unknown }));
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private async appendOn(
    executor: SqlExecutor,
    tenantId: string,
    streamId: string,
    expected: number | null,
    events: PreparedEvent[],
  ): Promise<RawAppendOutcome> {
    const { rows } = await executor.query(`SELECT * FROM ${this.t.append}($1, $2, $3, $4)`, [
      tenantId,
      streamId,
      expected,
      batchJson(events),
    ]);
    const row = rows[0];
    switch (row.status) {
      case 'ok': {
        const first = Number(row.version) - events.length;
        return {
          status: 'ok',
          nextVersion: Number(row.version),
          events: events.map((e, index) => {
            const globalPosition = Number(row.positions[index]);
            return {
              id: e.id,
              type: e.type,
              data: JSON.parse(e.data),
              metadata: JSON.parse(e.metadata),
              schemaVersion: e.schemaVersion,
              tenantId,
              streamId,
              streamVersion: first + index + 1,
              globalPosition,
              checkpoint: encodeCheckpoint(row.tx, globalPosition),
              timestamp: row.created,
            };
          }),
        };
      }
      case 'replay': {
        const { rows: stored } = await executor.query(
          `SELECT ${EVENT_COLUMNS} FROM ${this.t.events} WHERE tenant_id = $1 AND event_id = ANY($2::text[]) ORDER BY stream_version`,
          [tenantId, events.map((e) => e.id)],
        );
        return { status: 'replay', nextVersion: Number(row.version), events: stored.map(toEvent) };
      }
      case 'duplicate':
        return { status: 'duplicate', eventIds: row.ids };
      default:
        return { status: 'wrong_version', actual: Number(row.version) };
    }
  }

  private async readAllOn(executor: SqlExecutor, o: CheckedReadAll): Promise<RecordedEvent[]> {
    const { rows } = await executor.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.t.readAll}($1::xid8, $2::bigint, $3, $4::text[], $5)`,
      [
        o.after?.transaction ?? '0',
        o.after?.position ?? '0',
        o.tenantId === ALL_TENANTS ? null : o.tenantId,
        o.types,
        o.maxCount,
      ],
    );
    return rows.map(toEvent);
  }

  private transactionOn(executor: SqlExecutor): StorageTransaction {
    const t = this.t;
    return {
      append: (tenantId, streamId, expected, events) =>
        this.appendOn(executor, tenantId, streamId, expected, events),
      documents: (projection, tenantId): ProjectionDocuments<unknown> => ({
        get: async (id) => {
          // An inline projection's documents are shared by appends to different streams (a counter
          // of all orders, say): without this lock two transactions read the same document and the
          // later write loses the earlier one's update. Two int keys: apart from the streams' locks.
          await executor.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2 || '/' || $3))", [
            projection,
            tenantId,
            id,
          ]);
          const { rows } = await executor.query(
            `SELECT doc FROM ${t.documents} WHERE projection = $1 AND tenant_id = $2 AND id = $3`,
            [projection, tenantId, id],
          );
          return rows[0]?.doc ?? null;
        },
        put: async (id, doc) => {
          await executor.query(
            `INSERT INTO ${t.documents} (projection, tenant_id, id, doc) VALUES ($1, $2, $3, $4::text::jsonb)
             ON CONFLICT (projection, tenant_id, id) DO UPDATE SET doc = EXCLUDED.doc, updated_at = now()`,
            [projection, tenantId, id, JSON.stringify(doc)],
          );
        },
        delete: async (id) => {
          await executor.query(
            `DELETE FROM ${t.documents} WHERE projection = $1 AND tenant_id = $2 AND id = $3`,
            [projection, tenantId, id],
          );
        },
      }),
      clearProjection: async (projection) => {
        await executor.query(`DELETE FROM ${t.documents} WHERE projection = $1`, [projection]);
      },
      resetSubscription: async (name) => {
        await executor.query(`DELETE FROM ${t.checkpoints} WHERE name = $1`, [name]);
      },
    };
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let attempts = 1; ; attempts++) {
      try {
        return await attempt();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (!code || !RETRYABLE_SQLSTATES.has(code) || attempts >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

/** A retryable failure is thrown as it is, so the transaction runs again; any other says nothing was committed. */
function abortedBy(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  return code && RETRYABLE_SQLSTATES.has(code) ? error : new TransactionAbortedError(error);
}
