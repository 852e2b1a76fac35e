// Adds up the JSON reports vitest wrote in CI (one per package, and one per further run such as the
// example's e2e suite: test-results-e2e.json) into one closing line.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'examples']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = `${group}/${name}`;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).filter((f) => /^test-results(-[\w-]+)?\.json$/.test(f))) {
      const report = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += report.numPendingTests + report.numTodoTests;
      const label = file === 'test-results.json' ? dir : `${dir} (${file.slice(13, -5)})`;
      console.log(`${label.padEnd(40)} ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
