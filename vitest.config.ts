import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
    // The infra tests synthesize the handler bundles; one build serves every test file.
    globalSetup: ['./test/support/bundles-setup.ts'],
    // The handlers' structured logs are for CloudWatch Logs; in tests they only hide the results.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
