/**
 * infra reads the bot's packages through their public entries (`@reflex/aws`, `@reflex/aws/deployment`,
 * `@reflex/azure`, `@reflex/azure/deployment`, `@reflex/core`), never a path into their sources: what a package
 * exports is what it promises, and a file can move inside it without breaking the deployment.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const INFRA = join(import.meta.dirname, '..');
const ROOT = join(INFRA, '..');
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

/**
 * The packages a module loads when run, following its relative imports: `import type` and `export type` are
 * erased, so they load nothing; `import()` counts (it may run).
 */
function packagesLoaded(entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const runtime: string[] = [];
    for (const s of sf.statements) {
      if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly) {
        const named = s.importClause?.namedBindings;
        const allTypes =
          !s.importClause?.name && named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly);
        if (!allTypes) runtime.push((s.moduleSpecifier as ts.StringLiteral).text);
      } else if (ts.isExportDeclaration(s) && s.moduleSpecifier && !s.isTypeOnly) {
        const named = s.exportClause;
        if (!(named && ts.isNamedExports(named) && named.elements.every((e) => e.isTypeOnly)))
          runtime.push((s.moduleSpecifier as ts.StringLiteral).text);
      }
    }
    ts.forEachChild(sf, function dynamic(n): void {
      if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [arg] = n.arguments;
        if (arg && ts.isStringLiteral(arg)) runtime.push(arg.text);
      }
      ts.forEachChild(n, dynamic);
    });
    for (const spec of runtime) {
      if (spec.startsWith('.')) {
        const next = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(next)) visit(next);
      } else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return [...packages].sort();
}

describe('the deployment entries load no SDK', () => {
  it('@reflex/aws/deployment loads @reflex/core only (infra loads it anyway); @reflex/azure/deployment nothing', () => {
    expect(packagesLoaded(join(ROOT, 'aws-lambda/src/deployment.ts'))).toEqual(['@reflex/core']);
    expect(packagesLoaded(join(ROOT, 'azure-functions/src/deployment.ts'))).toEqual([]);
  });

  it('the main entries load the SDKs, which is why infra does not import them', () => {
    const aws = packagesLoaded(join(ROOT, 'aws-lambda/src/index.ts'));
    expect(aws).toEqual(expect.arrayContaining(['@aws-sdk/client-s3', '@aws-sdk/client-ec2']));
    // Azure SDKs are imported by subpath (`@azure/arm-network/api`): compare package names.
    const azure = packagesLoaded(join(ROOT, 'azure-functions/src/index.ts')).map((s) =>
      s.split('/').slice(0, 2).join('/'),
    );
    expect(azure).toEqual(expect.arrayContaining(['@azure/arm-network', '@azure/arm-storage']));
  });

  it('infra/aws and infra/azure import the light entries, not the main ones', () => {
    const deploy = files.filter((f) => !f.startsWith('test/'));
    const heavy = deploy.flatMap((f) =>
      specifiers(readFileSync(join(INFRA, f), 'utf8'))
        .filter((s) => s === '@reflex/aws' || s === '@reflex/azure')
        .map((s) => `${f}: ${s}`),
    );
    expect(heavy).toEqual([]);
  });
});
