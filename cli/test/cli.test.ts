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

describe('argument handling and exit codes', () => {
  const enforce = () => file('enforce.yaml', 'version: 1\nmode: enforce\n');

  it('a malformed id is bad input (2), before any cloud is called', async () => {
    const r = await run('remediate', 'arn:aws:s3:::Not_A_Bucket', '--policy', enforce());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/malformed resource id/);
    expect((await run('remediate', 'i-0123456789', '--policy', enforce())).code).toBe(2);
    expect((await run('contain', '/subscriptions/not-a-guid/x', '--reason', 'r')).code).toBe(2);
  });

  it('contain and undo without --reason (or with a blank one) are bad input (2)', async () => {
    const arn = 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0';
    const missing = await run('contain', arn);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--reason/);
    expect((await run('undo', 'rem-x')).code).toBe(2);
    const blank = await run('contain', arn, '--reason', '  ');
    expect(blank.code).toBe(2);
    expect(blank.err).toMatch(/needs --reason/);
  });

  it('an unknown rule, an unknown --output or --cloud, a bad policy: 2', async () => {
    const r = await run('remediate', 'arn:aws:s3:::some-bucket', '--rule', 'noSuchRule');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown rule "noSuchRule"/);
    expect((await run('sweep', '--cloud', 'gcp')).code).toBe(2);
    expect((await run('sweep')).code).toBe(2);
    expect((await run('remediate', 'arn:aws:s3:::some-bucket', '--output', 'yaml')).code).toBe(2);
    const bad = await run('remediate', 'arn:aws:s3:::some-bucket', '--policy', file('p.yaml', 'version: 9'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/version/);
  });

  it('an Azure sweep needs a subscription; an ARM id must match --subscription', async () => {
    const r = await run('sweep', '--cloud', 'azure', '--policy', enforce());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--subscription/);
    const id =
      '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n';
    const m = await run('remediate', id, '--subscription', '99999999-2222-3333-4444-555555555555');
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/does not match/);
  });

  it('undo of a remediation id that is not in the audit trail: 2', async () => {
    const r = await run('undo', 'rem-nope', '--reason', 'test', '--audit', join(dir, 'empty.jsonl'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no remediation rem-nope in the audit trail/);
  });
});
