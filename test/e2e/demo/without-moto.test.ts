/**
 * A machine with Python 3 but no moto, and no package index: `npm start` says what to install and runs the Azure
 * half; `npm test`'s setup fails with the same two lines. The interpreter is the real one with its site-packages
 * off (`-S`), so it has venv and ensurepip but not moto; pip is pointed at a closed loopback port, so provisioning
 * is really attempted and really fails, with no traffic beyond loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planMoto } from '@reflex/sim';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'reflex-nomoto-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function pythonWithoutMoto(): string {
  const real = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  const path = join(scratch, 'python3');
  writeFileSync(path, `#!/bin/sh\nexec ${JSON.stringify(real)} -S "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

function noMotoEnv(venv: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REFLEX_PYTHON: pythonWithoutMoto(),
    REFLEX_MOTO_VENV: venv,
    PIP_INDEX_URL: 'http://127.0.0.1:9/simple', // the discard port: nothing listens, the install fails at once
    PIP_NO_CACHE_DIR: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('without moto and without a package index', () => {
  it('npm start tries to provision once, says in two lines what to install, runs the Azure half and exits 0', async () => {
    const venv = join(scratch, 'venv');
    const r = await run(['cli/src/bin.ts', 'demo'], noMotoEnv(venv));
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain(`installing moto[server]>=5.2,<5.3 into ${venv}`); // the progress of the one attempt
    expect(existsSync(join(venv, 'bin', 'python'))).toBe(true);
    expect(r.out).toMatch(/The local AWS \(moto's server mode\) is not available: .*installing it into .* failed/);
    expect(r.out).toMatch(/Install it with: .*python3 -m pip install "moto\[server\]>=5\.2,<5\.3"/);
    expect(r.out).toContain('AWS: skipped (no moto)');
    // The Azure half ran for real: the NSG fix undone (RDP back at priority 100), then contained through the CLI all
    // the same (the Allow at 100 moves, the deny-all takes 100), and nothing failed.
    expect(r.out).toMatch(/nsg-demo\s+-\s+fixed\s+contained: isolate/);
    expect(r.out).toMatch(/nsg-demo\s+azure\s+no\s+undone on purpose; contained/);
    expect(r.out).toContain('no failures');
    expect(r.out).not.toMatch(/demo-public-read/);
  }, 240_000);

  it("npm test's setup fails with the same message", async () => {
    const r = await run(
      [
        '-e',
        "import('./test/setup/moto.ts').then((m) => m.setup()).catch((e) => { console.error(e.message); process.exit(3); })",
      ],
      noMotoEnv(join(scratch, 'venv')), // the venv the first test made, still without moto: pip is tried again
    );
    expect(r.code).toBe(3);
    expect(r.err).toContain('npm test needs the local AWS.');
    expect(r.err).toMatch(/Install it with: .*python3 -m pip install "moto\[server\]>=5\.2,<5\.3"/);
  }, 240_000);
});

describe('the provisioning decision', () => {
  const base = { python: 'python3', explicit: false, venv: '/v', venvHasMoto: false, alreadyTried: false };
  it.each([
    [
      { ...base, missing: 'module' as const },
      { action: 'provision', base: 'python3', venv: '/v' },
    ],
    [
      { ...base, missing: 'module' as const, venvHasMoto: true },
      { action: 'use', python: '/v/bin/python' },
    ],
    [
      { ...base, missing: 'python' as const, venvHasMoto: true },
      { action: 'use', python: '/v/bin/python' },
    ],
    [{ ...base, missing: 'python' as const }, { action: 'give-up' }],
    [{ ...base, missing: 'module' as const, alreadyTried: true }, { action: 'give-up' }],
    [{ ...base, missing: 'module' as const, explicit: true, venvHasMoto: true }, { action: 'give-up' }],
  ])('%o → %o', (probe, plan) => {
    expect(planMoto(probe)).toMatchObject(plan);
  });
});
