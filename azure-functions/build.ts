/**
 * Builds the deployable Functions app into dist/: the entry dist/app.mjs (what `main` names and the Functions
 * host loads) plus the chunks it imports on demand (dist/chunks/), host.json, and a package.json. Deploy the
 * folder as is. Minified and tree-shaken; clients that only some invocations need (@azure/identity on the first
 * token, @azure/data-tables when a state table is configured) are split into chunks loaded on first use.
 * The esbuild metafile goes to .tsbuild/app.meta.json for analysis (https://esbuild.github.io/analyze/).
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const out = new URL('./dist/', import.meta.url);
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await build({
  entryPoints: { app: new URL('./src/app.ts', import.meta.url).pathname },
  outdir: out.pathname,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  minify: true,
  treeShaking: true,
  legalComments: 'linked',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  metafile: true,
  // Provided by the Functions Node.js worker at run time, not an npm package.
  external: ['@azure/functions-core'],
  // Some bundled dependencies are CommonJS and call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __reflexCreateRequire } from 'node:module'; const require = __reflexCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

await mkdir(new URL('./.tsbuild/', import.meta.url), { recursive: true });
await writeFile(new URL('./.tsbuild/app.meta.json', import.meta.url), JSON.stringify(result.metafile));
await copyFile(new URL('./host.json', import.meta.url), new URL('host.json', out));
await writeFile(
  new URL('package.json', out),
  `${JSON.stringify({ name: 'reflex-azure-functions', version: '0.1.0', private: true, type: 'module', main: 'app.mjs' }, null, 2)}\n`,
);
const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => f.endsWith('.mjs'))
  .map(([f, o]) => `${f.replace(/^.*dist\//, 'dist/')} ${(o.bytes / 1024).toFixed(0)} KB`);
console.log(`built:\n  ${sizes.join('\n  ')}`);
