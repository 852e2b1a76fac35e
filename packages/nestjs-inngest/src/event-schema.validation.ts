import type { StandardSchemaV1 } from '@standard-schema/spec';
import { appendKey } from './event-payload.checks';
import type { InngestEventSchemaIssue } from './inngest.errors';

/** @internal The schemas of the module, by event name. */
export type EventSchemaMap = Readonly<Record<string, StandardSchemaV1 | undefined>>;

/**
 * @internal Validates `data` with the Standard Schema given for its event name; the issues, with
 * paths from `data`, or `undefined` when the event has no schema or its data passes.
 */
export async function eventSchemaIssues(
  schemas: EventSchemaMap,
  name: string,
  data: unknown,
): Promise<InngestEventSchemaIssue[] | undefined> {
  const schema = Object.hasOwn(schemas, name) ? schemas[name] : undefined;
  if (!schema) return undefined;
  // The SDK sends a missing `data` as {}, so that is what the schema sees.
  const result = await schema['~standard'].validate(data ?? {});
  if (!result.issues) return undefined;
  return result.issues.map((issue) => ({ path: issuePath(issue), message: issue.message }));
}

function issuePath(issue: StandardSchemaV1.Issue): string {
  let path = 'data';
  for (const segment of issue.path ?? []) {
    path = appendKey(path, typeof segment === 'object' ? segment.key : segment);
  }
  return path;
}
