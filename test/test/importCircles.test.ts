/**
 * No import circles inside a package: a module and everything it imports form a tree, so each piece has one home,
 * a reader can follow a file's imports without coming back to it, and no module can run before what it needs has
 * loaded. A circle is broken by moving the shared piece into a file named from what it is.
 *
 * What counts is what runs: `import type` / `export type` (and imports whose every name is `type`) are erased by the
 * compiler. One type-only circle is there by design: the rule registry derives `RuleName` and `Fix` from the rule
 * files, the model's `Finding` names them, and each rule returns a `Finding` — a rule's name and fixes are its own,
 * listed once, in its file.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
// cli/src is not listed yet: `program` loads `demo/index` lazily and the demo imports `program` back (issue 19).
const PACKAGES = ['core/src', 'sim/src', 'aws-lambda/src', 'azure-functions/src'];

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Relative specifiers of the imports and re-exports that remain at run time (type-only ones are erased). */
function runtimeSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause?.isTypeOnly ||
        (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly));
      if (!allTypes || (named && ts.isNamedImports(named) && named.elements.length === 0))
        out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause;
      const allTypes =
        node.isTypeOnly || (named && ts.isNamedExports(named) && named.elements.every((e) => e.isTypeOnly));
      if (!allTypes) out.push(node.moduleSpecifier.text);
    }
  }
  return out;
}

/** The files of the package that `file` imports by relative specifier at run time (`./x.js` is `./x.ts` on disk). */
function relativeImports(file: string): string[] {
  return runtimeSpecifiers(file)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
    .map((p) => (existsSync(p) ? p : join(p.replace(/\.ts$/, ''), 'index.ts')))
    .filter((p) => existsSync(p));
}

/** Every circle, once each, as the files along it (depth-first search; a back edge closes a circle). */
function circles(files: string[]): string[][] {
  const edges = new Map(files.map((f) => [f, relativeImports(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (f: string) => {
    state.set(f, 'open');
    path.push(f);
    for (const g of edges.get(f) ?? []) {
      if (state.get(g) === 'open') {
        const circle = path.slice(path.indexOf(g));
        found.set([...circle].sort().join('|'), circle);
      } else if (!state.has(g)) visit(g);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return [...found.values()];
}

describe('import circles', () => {
  it.each(PACKAGES)('%s has none', (dir) => {
    const found = circles(sources(join(ROOT, dir))).map((c) => [...c, c[0]!].map((f) => relative(ROOT, f)).join(' → '));
    expect(found).toEqual([]);
  });

  it('the check finds a circle of runtime imports, and passes over type-only ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-circles-'));
    const a = join(dir, 'a.ts');
    const b = join(dir, 'b.ts');
    const c = join(dir, 'c.ts');
    writeFileSync(a, "import { b } from './b.js';\nexport const a = b;\n");
    writeFileSync(b, "import type { C } from './c.js';\nexport const b: C = 1;\n");
    writeFileSync(c, "import { a } from './a.js';\nexport type C = typeof a;\n");
    // b → c is type-only: erased, so no circle runs.
    expect(circles([a, b, c])).toEqual([]);
    writeFileSync(b, "import { c } from './c.js';\nexport const b = c;\n");
    writeFileSync(c, "import { a } from './a.js';\nexport const c = () => a;\n");
    expect(circles([a, b, c]).map((x) => x.map((f) => relative(dir, f)))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    // `export { x } from` carries the import at run time too.
    writeFileSync(c, "export { a } from './a.js';\n");
    expect(circles([a, b, c]).map((x) => x.map((f) => relative(dir, f)))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
