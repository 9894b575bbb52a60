import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SPEC_FILES, specRoot } from '../src/arm/spec.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const vendored = join(repo, 'sim', 'specs', 'azure', 'specification');

/** Every relative `$ref` a spec file makes outside `x-ms-examples` (oav erases those before resolving). */
function refsOf(doc: unknown, out: string[] = [], key = ''): string[] {
  if (key === 'x-ms-examples') return out;
  if (Array.isArray(doc)) for (const item of doc) refsOf(item, out);
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) out.push(v.split('#')[0] as string);
      else refsOf(v, out, k);
    }
  }
  return out;
}

describe('the Azure specs live in the repository', () => {
  it('defaults to the copies inside @reflex/sim, with REFLEX_AZURE_SPECS as the override', () => {
    const saved = process.env['REFLEX_AZURE_SPECS'];
    try {
      delete process.env['REFLEX_AZURE_SPECS'];
      expect(specRoot()).toBe(vendored);
      process.env['REFLEX_AZURE_SPECS'] = '/elsewhere/specification';
      expect(specRoot()).toBe('/elsewhere/specification');
    } finally {
      if (saved === undefined) delete process.env['REFLEX_AZURE_SPECS'];
      else process.env['REFLEX_AZURE_SPECS'] = saved;
    }
  });

  it('holds the whole $ref closure of the files the emulator loads, each file inside the vendored folder', () => {
    const seen = new Set<string>();
    const queue = SPEC_FILES.map((f) => join(vendored, f));
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      expect(relative(vendored, file).startsWith('..'), `${file} is outside the vendored folder`).toBe(false);
      expect(existsSync(file), `${relative(vendored, file)} is referenced but not vendored`).toBe(true);
      for (const ref of refsOf(JSON.parse(readFileSync(file, 'utf8')))) queue.push(resolve(dirname(file), ref));
    }
    expect(seen.size).toBeGreaterThanOrEqual(SPEC_FILES.length);
  });

  it('lists every vendored file in PROVENANCE.md with its licence beside it', () => {
    const provenance = readFileSync(join(repo, 'sim', 'specs', 'azure', 'PROVENANCE.md'), 'utf8');
    expect(readFileSync(join(repo, 'sim', 'specs', 'azure', 'LICENSE'), 'utf8')).toContain('MIT License');
    const files = execFileSync('git', ['ls-files', 'sim/specs/azure/specification'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const name = file.split('/').pop() as string;
      expect(provenance, `${file} has no row in PROVENANCE.md`).toContain(name.replace(/\.json$/, ''));
    }
  });
});

describe('a fresh clone with nothing beside it', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'reflex-fresh-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('starts the ARM emulator from a copy of the repository that has no shared/ beside it', async () => {
    const copy = join(scratch, 'reflex');
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(join(repo, file))) continue; // deleted in the work tree, not yet committed
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(repo, file), join(copy, file));
    }
    // Installed packages only (no workspace links into the original): @reflex/* resolve inside the copy.
    symlinkSync(join(repo, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    expect(existsSync(join(scratch, 'shared'))).toBe(false);
    expect(existsSync(join(dirname(scratch), 'shared'))).toBe(false);

    const script = join(copy, 'sim', 'fresh-start.mts');
    writeFileSync(
      script,
      [
        "import { startArmEmulator } from './src/arm/index.ts';",
        "import { specRoot } from './src/arm/spec.ts';",
        'const arm = await startArmEmulator();',
        "const url = arm.endpoint + '/subscriptions/' + arm.subscriptionId + '/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/nosuch?api-version=2025-08-01';",
        "const res = await fetch(url, { headers: { authorization: 'Bearer x' } });",
        'console.log(JSON.stringify({ root: specRoot(), status: res.status, violations: arm.violations().length }));',
        'await arm.stop();',
      ].join('\n'),
    );
    const env = { ...process.env };
    delete env['REFLEX_AZURE_SPECS'];
    env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0'; // the emulator's self-signed certificate, for this probe only
    const out = await new Promise<string>((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: join(copy, 'sim'), env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c;
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c;
      });
      child.on('close', (code) => (code === 0 ? done(stdout) : fail(new Error(`exit ${code}: ${stderr}`))));
    });
    const line = JSON.parse(out.trim().split('\n').pop() as string) as {
      root: string;
      status: number;
      violations: number;
    };
    expect(line.root).toBe(join(copy, 'sim', 'specs', 'azure', 'specification'));
    expect(line.status).toBe(404); // served, and judged against the copy's own specs
    expect(line.violations).toBe(0);
  }, 120_000);
});
