import { fileURLToPath } from 'node:url';
import { transformFileSync } from '@swc/core';
import { describe, expect, it } from 'vitest';

const at = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

// docs/decorators.md shows this .swcrc verbatim (scripts/check-doc-blocks.mjs asserts it).
describe('docs/decorators.md', () => {
  it('the .swcrc for NestJS 12 ESM emits the constructor types Nest injects by', () => {
    const file = at('../src/getting-started/fulfilment.ts');
    const { code } = transformFileSync(file, { filename: file, swcrc: true, configFile: at('../.swcrc') });

    expect(code).toMatch(/_ts_metadata\("design:paramtypes", \[\s*typeof WarehouseService/);
    expect(code).toContain("import { WarehouseService } from './warehouse.service.js'");
  });
});
