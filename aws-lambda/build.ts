/** Bundles each Lambda handler into one self-contained ESM file: aws-lambda/dist/<handler>.mjs. */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const HANDLERS = ['events', 'manual'];

export async function buildBundles(): Promise<{ file: string; bytes: number }[]> {
  const out: { file: string; bytes: number }[] = [];
  for (const name of HANDLERS) {
    const outfile = join(here, 'dist', `${name}.mjs`);
    await build({
      entryPoints: [join(here, 'src', 'handlers', `${name}.ts`)],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minify: true,
      treeShaking: true,
      // The SDK is bundled too: the pinned version we tested, not whatever the runtime ships.
      mainFields: ['module', 'main'],
      // Some dependencies are CommonJS and call require(); ESM output needs one.
      banner: {
        js: "import { createRequire as __reflexCreateRequire } from 'node:module'; const require = __reflexCreateRequire(import.meta.url);",
      },
      legalComments: 'none',
      logLevel: 'warning',
    });
    out.push({ file: outfile, bytes: statSync(outfile).size });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const { file, bytes } of await buildBundles()) console.log(`${file}  ${(bytes / 1024).toFixed(0)} KiB`);
}
