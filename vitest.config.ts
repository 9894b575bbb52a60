import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,sim,aws-lambda,azure-functions,cli,infra,test}/test/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/setup/moto.ts'],
  },
});
