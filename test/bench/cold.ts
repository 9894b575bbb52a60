/**
 * Cold start: each deployable bundle's size, and its module-initialisation time — a fresh `node` importing the
 * entry, minus a bare `node -e ''` start (medians, runs interleaved so drift hits both alike). The bundles are
 * measured as they are in dist/ (the owners build them); their build time is reported with them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BundleTarget {
  name: string;
  file: string;
}

export const BUNDLES: BundleTarget[] = [
  {
    name: 'aws-lambda/dist/events.mjs',
    file: join(ROOT, 'aws-lambda/dist/events.mjs'),
  },
  {
    name: 'aws-lambda/dist/manual.mjs',
    file: join(ROOT, 'aws-lambda/dist/manual.mjs'),
  },
  {
    name: 'azure-functions/dist/app.mjs',
    file: join(ROOT, 'azure-functions/dist/app.mjs'),
  },
];

export interface ColdResult {
  name: string;
  /** The entry plus the chunks it may load (`chunks/` beside it, when the build splits code). */
  bytes: number;
  entryBytes: number;
  chunks: number;
  builtAt: string;
  /** Median wall time of `node` importing the bundle (ms). */
  wallMs: number;
  /** Median of the same minus the median bare start. */
  initMs: number;
  /** Median time of the import() itself, measured inside the process. */
  importMs: number;
  runs: number;
  problems: string[];
}

function runNode(args: string[]): { ms: number; out: string; ok: boolean; err: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { ms: performance.now() - t, out: r.stdout ?? '', ok: r.status === 0, err: r.stderr ?? '' };
}

function importScript(file: string): string {
  const url = pathToFileURL(file).href;
  return `const t=performance.now();await import(${JSON.stringify(url)});process.stdout.write('\\nREFLEX_IMPORT_MS='+(performance.now()-t));`;
}

export async function runCold(runs: number): Promise<{ bareMs: number; results: ColdResult[] }> {
  const bare: number[] = [];
  const walls = BUNDLES.map(() => [] as number[]);
  const imports = BUNDLES.map(() => [] as number[]);
  const problems = BUNDLES.map(() => new Set<string>());
  // One untimed round first: file cache.
  for (let round = -1; round < runs; round++) {
    const b = runNode(['-e', '']);
    if (round >= 0) bare.push(b.ms);
    for (const [i, target] of BUNDLES.entries()) {
      const r = runNode(['--input-type=module', '-e', importScript(target.file)]);
      const m = /REFLEX_IMPORT_MS=([\d.]+)/.exec(r.out);
      if (!r.ok || !m) {
        problems[i]!.add(`import failed: ${r.err.trim().split('\n').slice(-3).join(' ')}`);
        continue;
      }
      if (round >= 0) {
        walls[i]!.push(r.ms);
        imports[i]!.push(Number(m[1]));
      }
    }
  }
  const bareMs = median(bare);
  const results = BUNDLES.map((target, i): ColdResult => {
    const st = statSync(target.file);
    const chunkDir = join(dirname(target.file), 'chunks');
    const chunkFiles = existsSync(chunkDir) ? readdirSync(chunkDir).filter((f) => /\.(m?js|cjs)$/.test(f)) : [];
    const chunkBytes = chunkFiles.reduce((sum, f) => sum + statSync(join(chunkDir, f)).size, 0);
    return {
      name: target.name,
      bytes: st.size + chunkBytes,
      entryBytes: st.size,
      chunks: chunkFiles.length,
      builtAt: st.mtime.toISOString(),
      wallMs: median(walls[i]!),
      initMs: median(walls[i]!) - bareMs,
      importMs: median(imports[i]!),
      runs: walls[i]!.length,
      problems: [...problems[i]!],
    };
  });
  return { bareMs, results };
}
