import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const COMMANDS = ['remediate', 'sweep', 'contain', 'undo', 'validate', 'explain', 'demo'];
const scratch = mkdtempSync(join(tmpdir(), 'reflex-packed-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// No AWS SDK notice about Node versions in the output under test.
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };

describe('the reflex command', () => {
  it('is on the PATH of the repository after npm ci (npx reflex) and lists every command', () => {
    const bin = join(repo, 'node_modules', '.bin', 'reflex');
    expect(existsSync(bin), 'npm ci links the cli workspace bin').toBe(true);
    const help = spawnSync(bin, ['--help'], { cwd: repo, encoding: 'utf8', env });
    expect(help.status).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('packs into a package with no dependencies that installs offline and runs outside the repository', () => {
    execFileSync('npm', ['pack', '-w', 'cli', '--pack-destination', scratch, '--silent'], { cwd: repo, env });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const prefix = join(scratch, 'prefix');
    // --offline: nothing may be fetched; the bundle carries every dependency.
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(scratch, tarball as string)],
      { cwd: scratch, env },
    );
    const work = join(scratch, 'elsewhere');
    execFileSync('mkdir', ['-p', work]);
    copyFileSync(join(repo, 'infra', 'reflex.example.yaml'), join(work, 'policy.yaml'));
    const reflex = join(prefix, 'bin', 'reflex');
    // Only Node on PATH: no tsx, no repository.
    const pathEnv = { ...env, PATH: `${join(prefix, 'bin')}:${resolve(process.execPath, '..')}` };

    const valid = spawnSync(reflex, ['validate', 'policy.yaml'], { cwd: work, encoding: 'utf8', env: pathEnv });
    expect(valid.stderr).toBe('');
    expect(valid.status).toBe(0);
    expect(valid.stdout).toContain('policy.yaml: valid');
    expect(valid.stdout).toMatch(/openIngress\s+enforce/);

    const bad = spawnSync(reflex, ['validate', 'missing.yaml'], { cwd: work, encoding: 'utf8', env: pathEnv });
    expect(bad.status).toBe(2);

    const demo = spawnSync(reflex, ['demo'], { cwd: work, encoding: 'utf8', env: pathEnv });
    expect(demo.status).toBe(2);
    expect(demo.stderr).toContain('npm ci && npm start');
  }, 120_000);
});
