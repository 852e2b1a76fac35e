import { SCHEMA_VERSION, schemaScript } from './schema';
import type { SqlConnection } from './sql-connection';

/**
 * @internal Creates or upgrades the schema. Idempotent, and safe when several processes start at
 * once: a transaction-scoped advisory lock lets one of them migrate while the others wait, then
 * find the version already recorded.
 */
export async function migrate(connection: SqlConnection, schema: string): Promise<void> {
  await connection.transaction(async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `sagaline-event-store-migrate:${schema}`,
    ]);
    await sql.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await sql.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".es_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await sql.query(
      `SELECT coalesce(max(version), 0) AS version FROM "${schema}".es_migrations`,
    );
    if (Number(rows[0].version) >= SCHEMA_VERSION) return;
    for (const statement of splitStatements(schemaScript(schema))) await sql.query(statement);
    await sql.query(`INSERT INTO "${schema}".es_migrations (version) VALUES ($1)`, [SCHEMA_VERSION]);
  });
}

/** Splits the script on semicolons outside dollar-quoted bodies: drivers run one statement per parameterless query alike. */
function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inBody = false;
  for (const line of script.split('\n')) {
    if (line.includes('$fn$')) inBody = !inBody;
    current += `${line}\n`;
    if (!inBody && line.trimEnd().endsWith(';')) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
