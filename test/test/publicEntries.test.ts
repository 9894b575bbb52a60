/**
 * The cloud packages' public faces are curated: `@reflex/aws` and `@reflex/azure` (and their `/deployment`
 * entries) list each name explicitly (no `export *`, so a new module adds nothing by accident), and each name is
 * imported by another package, a test or a script. A name nothing imports is a dead export: it goes, or it is
 * stated below as a type a public function's signature needs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

const ENTRIES = [
  { specifier: '@reflex/aws', file: 'aws-lambda/src/index.ts', dir: 'aws-lambda' },
  { specifier: '@reflex/aws/deployment', file: 'aws-lambda/src/deployment.ts', dir: 'aws-lambda' },
  { specifier: '@reflex/azure', file: 'azure-functions/src/index.ts', dir: 'azure-functions' },
  { specifier: '@reflex/azure/deployment', file: 'azure-functions/src/deployment.ts', dir: 'azure-functions' },
];

/** Types in the signature of an exported function, kept so a caller's emitted declarations can name them (TS2742). */
const SIGNATURE_TYPES: Record<string, string[]> = {
  // `createEventsHandler` returns `(event, context?: InvocationContext) => …`; `createManualHandler` a ManualHandler.
  '@reflex/aws': ['InvocationContext', 'ManualHandler'],
};

function parse(file: string, text = readFileSync(file, 'utf8')): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

/** Names an entry exports, and whether it re-exports a whole module. */
function exportsOf(sf: ts.SourceFile): { names: string[]; star: boolean } {
  const names: string[] = [];
  let star = false;
  for (const s of sf.statements) {
    if (!ts.isExportDeclaration(s)) continue;
    if (!s.exportClause) star = true;
    else if (ts.isNamedExports(s.exportClause)) names.push(...s.exportClause.elements.map((e) => e.name.text));
    else star = true; // export * as ns
  }
  return { names, star };
}

/**
 * Names `sf` takes from a module whose specifier passes `from`: named imports and re-exports, `import('…').X`
 * types, and `await import('…')` destructured or read as `m.X`.
 */
function importedNames(sf: ts.SourceFile, from: (specifier: string) => boolean): string[] {
  const names: string[] = [];
  const namespaces = new Set<string>();
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (ts.isStringLiteral(n.moduleSpecifier) && from(n.moduleSpecifier.text)) {
        const bindings = ts.isImportDeclaration(n) ? n.importClause?.namedBindings : n.exportClause;
        if (bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings)))
          names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
        else if (bindings && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
      }
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      const lit = n.argument.literal;
      if (ts.isStringLiteral(lit) && from(lit.text) && n.qualifier) names.push(n.qualifier.getText(sf).split('.')[0]!);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = n.arguments;
      if (arg && ts.isStringLiteral(arg) && from(arg.text)) {
        const decl = ts.isAwaitExpression(n.parent) ? n.parent.parent : undefined;
        if (decl && ts.isVariableDeclaration(decl) && ts.isObjectBindingPattern(decl.name))
          names.push(...decl.name.elements.map((e) => (e.propertyName ?? e.name).getText(sf)));
        else if (decl && ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name)) namespaces.add(decl.name.text);
      }
    } else if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && namespaces.has(n.expression.text))
      names.push(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // A namespace declared after its use is read in a second pass.
  if (namespaces.size > 0) visit(sf);
  return [...new Set(names)];
}

const SKIP = new Set(['node_modules', 'dist', '.tsbuild', 'cdk.out', '.git']);

/** The repository's TypeScript files, relative to ROOT. */
function sources(dir = ''): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}
const files = sources();

/** Every name taken from `entry` by a file outside the package's sources (its own tests reach `../src/index.js`). */
function users(entry: (typeof ENTRIES)[number]): Set<string> {
  const own = `${entry.dir}/test/`;
  const ownIndex = entry.file.endsWith('/index.ts');
  const used = new Set<string>();
  for (const f of files) {
    if (f.startsWith(`${entry.dir}/src/`)) continue;
    const text = readFileSync(join(ROOT, f), 'utf8');
    if (!text.includes(entry.specifier) && !(ownIndex && f.startsWith(own))) continue;
    const from = (s: string) => s === entry.specifier || (ownIndex && f.startsWith(own) && /\/src\/index\.js$/.test(s));
    for (const n of importedNames(parse(f, text), from)) used.add(n);
  }
  return used;
}

describe('curated public entries', () => {
  it.each(ENTRIES)('$specifier lists its names (no export *) and each is used', (entry) => {
    const { names, star } = exportsOf(parse(join(ROOT, entry.file)));
    expect(star, `${entry.file} re-exports a whole module`).toBe(false);
    expect(names.length).toBeGreaterThan(0);
    const used = users(entry);
    const kept = new Set(SIGNATURE_TYPES[entry.specifier] ?? []);
    expect(names.filter((n) => !used.has(n) && !kept.has(n))).toEqual([]);
  });

  it('the import reader sees named imports, re-exports, import() types, and dynamic imports both ways', () => {
    const sf = parse(
      'x.ts',
      [
        "import { A, type B, C as D } from '@reflex/aws';",
        "export { E } from '@reflex/aws';",
        "import { Z } from '@reflex/azure';",
        "type F = import('@reflex/aws').F;",
        "const { G, H: renamed } = await import('@reflex/aws');",
        'function later() { return m.I(); }',
        "const m = await import('@reflex/aws');",
      ].join('\n'),
    );
    expect(importedNames(sf, (s) => s === '@reflex/aws').sort()).toEqual(['A', 'B', 'C', 'E', 'F', 'G', 'H', 'I']);
  });
});
