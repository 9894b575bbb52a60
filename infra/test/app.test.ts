/** The ready-made CDK app (infra/aws/bin/reflex.ts), synthesised as `cdk synth` runs it: context in, templates out. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const INFRA = join(import.meta.dirname, '..');
const run = promisify(execFile);

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** Runs the app the way cdk.json does, with `-c` keys as CDK passes them; returns the named stack's template. */
async function synth(context: Record<string, string>, stack: string): Promise<Resource[]> {
  const out = mkdtempSync(join(tmpdir(), 'reflex-cdk-'));
  await run(process.execPath, ['--import', 'tsx', 'aws/bin/reflex.ts'], {
    cwd: INFRA,
    env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify(context) },
  });
  const template = JSON.parse(readFileSync(join(out, `${stack}.template.json`), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  return Object.values(template.Resources);
}

const POLICY = 'reflex.example.yaml';

describe('the ready app', () => {
  it('central: memberAccounts narrows sts:AssumeRole to those accounts; externalId reaches both functions', async () => {
    const resources = await synth(
      {
        policy: POLICY,
        memberRole: 'reflex-member',
        memberAccounts: '222222222222, 333333333333',
        externalId: 'ext-7f3a',
      },
      'Reflex',
    );
    const fns = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(2);
    for (const f of fns)
      expect((f.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        REFLEX_MEMBER_ROLE_NAME: 'reflex-member',
        REFLEX_MEMBER_EXTERNAL_ID: 'ext-7f3a',
      });
    const assume = resources
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      )
      .filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
    expect(assume.length).toBeGreaterThan(0);
    const targets = JSON.stringify(assume.map((s) => s.Resource));
    expect(targets).toContain(':iam::222222222222:role/reflex-member');
    expect(targets).toContain(':iam::333333333333:role/reflex-member');
    expect(targets).not.toContain('::*:role');
  }, 120_000);

  it('member: externalId becomes the role trust condition', async () => {
    const resources = await synth(
      {
        policy: POLICY,
        member: 'true',
        centralAccount: '111111111111',
        centralBusArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/reflex-central',
        externalId: 'ext-7f3a',
      },
      'ReflexMember',
    );
    const roles = resources.filter((r) => r.Type === 'AWS::IAM::Role');
    const trust = JSON.stringify(roles.map((r) => r.Properties.AssumeRolePolicyDocument));
    expect(trust).toContain('"sts:ExternalId":"ext-7f3a"');
  }, 120_000);

  it('responders: the manual function gets its AWS_IAM URL and grants for exactly those principals', async () => {
    const responder = 'arn:aws:iam::111111111111:role/reflex-responder';
    const resources = await synth({ policy: POLICY, responders: responder }, 'Reflex');
    expect(resources.filter((r) => r.Type === 'AWS::Lambda::Url').map((r) => r.Properties.AuthType)).toEqual([
      'AWS_IAM',
    ]);
    const grants = resources
      .filter((r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal !== 'events.amazonaws.com')
      .map((r) => [r.Properties.Principal, r.Properties.Action]);
    expect(grants.sort()).toEqual([
      [responder, 'lambda:InvokeFunction'],
      [responder, 'lambda:InvokeFunctionUrl'],
    ]);
  }, 120_000);

  it('a bad account id in memberAccounts stops the synth with the reason', async () => {
    await expect(
      synth({ policy: POLICY, memberRole: 'reflex-member', memberAccounts: '2222-bad' }, 'Reflex'),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('memberAccountIds: "2222-bad" is not an account id') });
  }, 120_000);
});
