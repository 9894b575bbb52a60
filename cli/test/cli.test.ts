import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, EXIT } from '../src/index.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  let code: number = EXIT.ok;
  const program = buildProgram({ out: (t) => (out += t), err: (t) => (err += t) }, (c) => (code = c));
  try {
    await program.parseAsync(['node', 'reflex', ...args]);
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  return { out, err, code };
}

const dir = mkdtempSync(join(tmpdir(), 'reflex-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('reflex validate', () => {
  it('accepts a good policy and shows each rule mode', async () => {
    const r = await run(
      'validate',
      file('ok.yaml', 'version: 1\nmode: enforce\nrules: { unencryptedStorage: { mode: dry-run } }'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/openIngress\s+enforce/);
    expect(r.out).toMatch(/unencryptedStorage\s+dry-run/);
  });

  it('lists every problem and exits 2 on a bad policy', async () => {
    const r = await run(
      'validate',
      file('bad.yaml', 'version: 1\nrules: { openIngress: { mode: enforced } }\nkillSwitch: maybe'),
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('rules.openIngress.mode: expected one of enforce|dry-run|off');
    expect(r.err).toContain('killSwitch: expected boolean');
  });

  it('speaks JSON when asked', async () => {
    const r = await run('validate', '--output', 'json', file('bad2.yaml', 'version: 2'));
    expect(JSON.parse(r.out)).toMatchObject({ valid: false, problems: [expect.stringMatching(/^version:/)] });
  });
});

describe('reflex explain', () => {
  it('explains a rule, and rejects an unknown one with exit 2', async () => {
    expect((await run('explain', 'openIngress')).out).toMatch(/0\.0\.0\.0\/0/);
    const bad = await run('explain', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown rule "nope"/);
  });

  it('exits 2 on an unknown command', async () => {
    expect((await run('frobnicate')).code).toBe(2);
  });
});
