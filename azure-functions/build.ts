/**
 * Builds the deployable Functions app into dist/: one ESM bundle (dist/app.mjs) with every dependency
 * inlined, host.json, and a package.json whose `main` the Functions host loads. Deploy the folder as is.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const out = new URL('./dist/', import.meta.url);
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  entryPoints: [new URL('./src/app.ts', import.meta.url).pathname],
  outfile: new URL('app.mjs', out).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Provided by the Functions Node.js worker at run time, not an npm package.
  external: ['@azure/functions-core'],
  // Some bundled dependencies are CommonJS and call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __reflexCreateRequire } from 'node:module'; const require = __reflexCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

await copyFile(new URL('./host.json', import.meta.url), new URL('host.json', out));
await writeFile(
  new URL('package.json', out),
  `${JSON.stringify({ name: 'reflex-azure-functions', version: '0.1.0', private: true, type: 'module', main: 'app.mjs' }, null, 2)}\n`,
);
console.log(`built ${new URL('app.mjs', out).pathname}`);
