/**
 * Bundles the `reflex` command as plain JavaScript: cli/dist/reflex.mjs and its chunks (cli/dist/chunks/). Node
 * alone runs it (no tsx), from the repository (`npx reflex`) or from a packed, globally installed CLI: every
 * dependency is inside the bundle, so the package declares none. `@reflex/sim` (the local clouds: moto's launcher,
 * the ARM emulator and its specs) stays outside; only `reflex demo` loads it, in a chunk of its own, and a packed
 * CLI says the demo runs from the repository.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreBundlePlugins, nodeEsmBundle } from '@reflex/core/esbuild-plugins';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildCli(): Promise<string> {
  const dist = join(here, 'dist');
  await rm(dist, { recursive: true, force: true });
  await build({
    entryPoints: [{ in: join(here, 'src', 'bin.ts'), out: 'reflex' }],
    outdir: dist,
    ...nodeEsmBundle,
    external: ['@reflex/sim', '@azure/functions-core'],
    plugins: [...coreBundlePlugins],
  });
  return join(dist, 'reflex.mjs');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(await buildCli());
