/**
 * infra reads the bot's packages through their public entries (`@reflex/aws`, `@reflex/aws/deployment`,
 * `@reflex/azure`, `@reflex/azure/deployment`, `@reflex/core`), never a path into their sources: what a package
 * exports is what it promises, and a file can move inside it without breaking the deployment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const INFRA = join(import.meta.dirname, '..');
const PACKAGE_SOURCES = /(?:^|\/)(?:aws-lambda|azure-functions|core|sim|cli)\/(?:src|build|scripts)(?:\/|$)/;

/** Every module specifier a file imports or re-exports, types and `import()` included. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
}

/** `file: specifier` for each import of `file` that reaches into another package's sources. */
function reachesIn(file: string, text: string): string[] {
  return specifiers(text)
    .filter((s) => PACKAGE_SOURCES.test(s) || /^@reflex\/[^/]+\/(?:src|build|scripts)\//.test(s))
    .map((s) => `${file}: ${s}`);
}

const files = readdirSync(INFRA, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .filter((f) => !/(?:^|\/)(?:node_modules|\.tsbuild|cdk\.out)\//.test(f));

describe('infra imports packages by their public entries', () => {
  it('no infra file imports a path into aws-lambda, azure-functions or core sources', () => {
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((f) => reachesIn(f, readFileSync(join(INFRA, f), 'utf8')))).toEqual([]);
  });

  it('the check sees relative paths, package subpaths, re-exports, type imports and import()', () => {
    const text = [
      "import type { AwsResourceKind } from '../../../aws-lambda/src/permissions.js';",
      "export { POLICY_RULES } from '../../azure-functions/src/events/policyDefinitions.js';",
      "import { RULE_NAMES } from '@reflex/core/src/rules/index.js';",
      "const m = await import('../../core/src/index.js');",
      "import { parseEvent } from '@reflex/aws';",
      "import { azureActionsFor } from '@reflex/azure/deployment';",
      "import { App } from 'aws-cdk-lib';",
      "import { patternsFor } from './triggers.js';",
    ].join('\n');
    expect(reachesIn('x.ts', text)).toEqual([
      'x.ts: ../../../aws-lambda/src/permissions.js',
      'x.ts: ../../azure-functions/src/events/policyDefinitions.js',
      'x.ts: @reflex/core/src/rules/index.js',
      'x.ts: ../../core/src/index.js',
    ]);
  });
});
