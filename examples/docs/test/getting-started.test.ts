import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { type EmbeddedEngine } from '@sagaline/embedded-engine';
import { INNGEST_EMBEDDED_ENGINE } from '@sagaline/nestjs-inngest';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap } from '../src/getting-started/bootstrap.js';
import { WarehouseService } from '../src/getting-started/warehouse.service.js';

// docs/getting-started.md shows these files verbatim (scripts/check-doc-blocks.mjs asserts it), so
// this is the guide's own code, run as a new user runs it.
describe('docs/getting-started.md', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('runs the function for an event sent right after listen', async () => {
    const started = await bootstrap(0);
    app = started.app;

    const engine = app.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE);
    const run = await engine.waitForRun({ eventId: started.eventId }, 60_000);

    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ id: 'r-o-1', orderId: 'o-1', confirmed: true });
    expect(app.get(WarehouseService).reservations.get('r-o-1')?.confirmed).toBe(true);
  });
});
