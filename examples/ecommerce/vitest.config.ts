import { packageTestConfig } from '../../vitest.shared.ts';

// Two projects: `test` runs the unit tests, `test:e2e` the end-to-end suite over real HTTP, one file
// at a time (each file starts the whole app with its simulated services).
export default packageTestConfig({
  projects: [
    { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: ['test/e2e/**'] } },
    {
      extends: true,
      test: {
        name: 'e2e',
        include: ['test/e2e/**/*.test.ts'],
        exclude: ['test/unit/**'],
        fileParallelism: false,
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    },
  ],
});
