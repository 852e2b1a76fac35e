import type { INestApplication } from '@nestjs/common';
import { INNGEST_EMBEDDED_ENGINE } from '../../src';

const ENGINE_PACKAGE = '@sagaline/embedded-engine';

/**
 * Whether `@sagaline/embedded-engine` can be loaded. In the workspace it always can (vitest maps
 * it to its sources); the NestJS 11 compatibility job copies only this package's sources and tests
 * into a project without it, and skips the embedded-mode tests there.
 */
export const engineAvailable: boolean = await import(/* @vite-ignore */ ENGINE_PACKAGE).then(
  () => true,
  () => false,
);

/** What these tests read of the engine (`EmbeddedEngine` of `@sagaline/embedded-engine`). */
export interface EngineInspector {
  readonly baseUrl: string;
  readonly eventKey: string;
  waitForRun(filter: { eventId?: string; functionId?: string }): Promise<EngineRun>;
  listRuns(filter?: { eventId?: string; functionId?: string }): Promise<EngineRun[]>;
}

export interface EngineRun {
  functionId: string;
  status: string;
  output?: unknown;
  error?: { name: string; message: string };
}

export function engineOf(app: INestApplication): EngineInspector {
  return app.get(INNGEST_EMBEDDED_ENGINE) as unknown as EngineInspector;
}
