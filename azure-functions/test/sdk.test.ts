import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SDK_OPERATION_PATHS } from '../src/arm/sdk.js';

const require = createRequire(import.meta.url);
const version = (packageJson: string) => (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

describe('the SDK operation modules src/arm/sdk.ts imports by path', () => {
  for (const [sdk, path] of Object.entries(SDK_OPERATION_PATHS)) {
    it(`are the @azure/${sdk} this package resolves (same files, same version)`, () => {
      const resolved = require.resolve(`@azure/${sdk}/package.json`);
      const byPath = join(import.meta.dirname, '../src/arm', path, 'package.json');
      expect(dirname(byPath)).toBe(dirname(resolved));
      expect(version(byPath)).toBe(version(resolved));
    });
  }
});
