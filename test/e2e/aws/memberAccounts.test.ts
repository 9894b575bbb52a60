import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketAclCommand, ListBucketsCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '@reflex/aws';
import type { Report } from '@reflex/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  accountClients,
  asMemberRole,
  assumeRoleCalls,
  awsOptions,
  FUNCTION_CONTEXT,
  fixture,
  handlers,
  MEMBER_ACCOUNT_ID,
  MEMBER_ROLE,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
} from './world.js';

/**
 * The central-bus deployment on moto: the bot runs in MOTO_ACCOUNT_ID (A), member accounts forward their events to
 * it, and it acts in a member account (B) through the role ReflexMemberAccount deploys there. moto scopes resources
 * by the account of the access key, so credentials from AssumeRole of `arn:aws:iam::B:role/reflex-member` see and
 * change B's security groups only; S3 bucket names are global in moto (any account's key reaches any bucket), so
 * for buckets the evidence is the state in B, A's identical bucket left alone, and the AssumeRole on the wire.
 */
const B = MEMBER_ACCOUNT_ID;
const C = '333344445555';
const FIXTURE_GROUP = 'sg-0123456789abcdef0';
const MEMBER_ENV = { REFLEX_MEMBER_ROLE_NAME: MEMBER_ROLE };
// Only the rules these resources need, so that nothing depends on a log bucket in the member account.
const POLICY = policy({ mode: 'off', rules: { publicStorage: { mode: 'enforce' }, openIngress: { mode: 'enforce' } } });

let world: World;
let inB: AwsClients;
let groupA: string;
let groupB: string;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

async function openGroup(c: AwsClients, name: string): Promise<string> {
  const GroupId = (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name }))).GroupId!;
  await c.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  return GroupId;
}

async function publicBucket(c: AwsClients, name: string): Promise<void> {
  await c.s3.send(new CreateBucketCommand({ Bucket: name }));
  await c.s3.send(new PutBucketAclCommand({ Bucket: name, ACL: 'public-read' }));
}

async function ingress(c: AwsClients, id: string): Promise<string[]> {
  const out = await c.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }),
  );
  return (out.SecurityGroupRules ?? []).filter((r) => !r.IsEgress).map((r) => `${r.FromPort}:${r.CidrIpv4}`);
}

async function isPublic(c: AwsClients, bucket: string): Promise<boolean> {
  const grants = (await c.s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants ?? [];
  return grants.some((g) => g.Grantee?.URI?.includes('AllUsers'));
}

beforeEach(async () => {
  await resetWorld(world);
  // After a reset the member credentials are gone in moto: fresh ones for every test.
  inB = await accountClients(world, B);
  // The same misconfiguration in both accounts: A's must stay as it is.
  groupA = await openGroup(world.direct, 'web-sg');
  groupB = await openGroup(inB, 'web-sg');
  await publicBucket(world.direct, 'bucket-in-a');
  await publicBucket(inB, 'bucket-in-b');
  world.proxy.resetStats();
});

/** A's events handler with the member role configured (as the CDK construct sets it). */
const central = (env: Record<string, string> = MEMBER_ENV) =>
  handlers(world, POLICY, { env, awsOptions: awsOptions(world) }).events;
const groupEvent = (account: string, group: string) =>
  fixture('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json', {
    '111122223333': account,
    [FIXTURE_GROUP]: group,
  });
const bucketEvent = (account: string, bucket: string) =>
  fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', {
    '111122223333': account,
    'amzn-s3-demo-bucket': bucket,
  });
const rule = (report: Report, name: string) => report.outcomes.find((o) => o.rule === name);

describe('a member account event (central bus)', () => {
  it('the bot assumes the member role in B and fixes B’s security group; A’s identical group is untouched', async () => {
    const report = await central()(groupEvent(B, groupB), FUNCTION_CONTEXT);
    expect(rule(report, 'openIngress')).toMatchObject({ status: 'fixed', resource: { account: B } });
    expect(await ingress(inB, groupB)).toEqual([]);
    expect(await ingress(world.direct, groupA)).toEqual(['22:0.0.0.0/0']);
    expect(assumeRoleCalls(world)).toHaveLength(1);
    // The group exists only in B: had the bot used its own credentials, EC2 (per account in moto) would not find it.
    expect(report.outcomes.every((o) => o.status !== 'failed')).toBe(true);
  });

  it('fixes B’s public bucket through the member role; A’s public bucket stays public', async () => {
    const report = await central()(bucketEvent(B, 'bucket-in-b'), FUNCTION_CONTEXT);
    expect(rule(report, 'publicStorage')).toMatchObject({ status: 'fixed', resource: { account: B } });
    expect(await isPublic(inB, 'bucket-in-b')).toBe(false);
    expect(await isPublic(world.direct, 'bucket-in-a')).toBe(true);
    const listed = async (c: AwsClients) => (await c.s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(await listed(inB)).toEqual(['bucket-in-b']);
    expect(await listed(world.direct)).toEqual(['bucket-in-a']);
    expect(assumeRoleCalls(world)).toHaveLength(1);
  });

  it('an event in the bot’s own account still uses its own credentials (no AssumeRole)', async () => {
    const report = await central()(groupEvent(MOTO_ACCOUNT_ID, groupA), FUNCTION_CONTEXT);
    expect(rule(report, 'openIngress')?.status).toBe('fixed');
    expect(await ingress(world.direct, groupA)).toEqual([]);
    expect(await ingress(inB, groupB)).toEqual(['22:0.0.0.0/0']);
    expect(assumeRoleCalls(world)).toHaveLength(0);
  });

  it('without REFLEX_MEMBER_ROLE_NAME: ignored with the reason, and not one cloud call', async () => {
    const report = await central({})(groupEvent(B, groupB), FUNCTION_CONTEXT);
    expect(report.outcomes).toHaveLength(1);
    expect(report.outcomes[0]).toMatchObject({
      status: 'ignored',
      resource: { account: B },
      reason: expect.stringMatching(/account 210987654321 .* runs in 123456789012.*REFLEX_MEMBER_ROLE_NAME/),
    });
    expect(world.proxy.calls()).toEqual([]);
    expect(await ingress(inB, groupB)).toEqual(['22:0.0.0.0/0']);
  });

  it('the loop guard knows the bot’s own member-role sessions in B: ignored, no AssumeRole, no read', async () => {
    const report = await central()(asMemberRole(groupEvent(B, groupB), B), FUNCTION_CONTEXT);
    expect(report.outcomes[0]).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/own identity .*assumed-role\/reflex-member/),
    });
    expect(world.proxy.calls()).toEqual([]);
    // The same role name in an account the event does not come from is not the bot's session here.
    const elsewhere = await central()(asMemberRole(groupEvent(B, groupB), C), FUNCTION_CONTEXT);
    expect(rule(elsewhere, 'openIngress')?.status).toBe('fixed');
  });

  it('member credentials are cached across invocations: one AssumeRole per account per container', async () => {
    const events = central();
    await events(groupEvent(B, groupB), FUNCTION_CONTEXT);
    await events(bucketEvent(B, 'bucket-in-b'), { ...FUNCTION_CONTEXT, awsRequestId: 'request-2' });
    await events(groupEvent(B, groupB), { ...FUNCTION_CONTEXT, awsRequestId: 'request-3' });
    expect(assumeRoleCalls(world)).toHaveLength(1);
    expect(await ingress(inB, groupB)).toEqual([]);
    expect(await isPublic(inB, 'bucket-in-b')).toBe(false);
    // Another member account: its own role, its own AssumeRole.
    const inC = await accountClients(world, C);
    const groupC = await openGroup(inC, 'web-sg');
    const report = await events(groupEvent(C, groupC), FUNCTION_CONTEXT);
    expect(rule(report, 'openIngress')).toMatchObject({ status: 'fixed', resource: { account: C } });
    expect(await ingress(inC, groupC)).toEqual([]);
    expect(assumeRoleCalls(world)).toHaveLength(2);
    // A fresh container assumes again.
    await central()(groupEvent(B, groupB), FUNCTION_CONTEXT);
    expect(assumeRoleCalls(world)).toHaveLength(3);
  });

  it('a scheduled sweep forwarded from B is not run (scheduled sweeps cover the bot’s own account)', async () => {
    const sweep = {
      version: '0',
      id: 'sweep-from-b',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: B,
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {},
    };
    const report = await central()(sweep, FUNCTION_CONTEXT);
    expect(report.outcomes).toEqual([
      expect.objectContaining({ status: 'ignored', reason: expect.stringMatching(/own account .*manual handler/) }),
    ]);
    expect(world.proxy.calls()).toEqual([]);
  });
});

describe('manual handler in member accounts', () => {
  const manual = (env: Record<string, string> = MEMBER_ENV) =>
    handlers(world, POLICY, { env, awsOptions: awsOptions(world) }).manual;

  it('sweep of B (named by its account resource) lists and fixes B only', async () => {
    const report = await manual()(
      { action: 'sweep', resource: `arn:aws:iam::${B}:root`, reason: 'onboarding B' },
      FUNCTION_CONTEXT,
    );
    const fixed = report.outcomes.filter((o) => o.status === 'fixed').map((o) => `${o.resource.account}/${o.rule}`);
    expect(fixed.sort()).toEqual([`${B}/openIngress`, `${B}/publicStorage`]);
    expect(report.outcomes.every((o) => o.resource.account === B)).toBe(true);
    expect(await ingress(inB, groupB)).toEqual([]);
    expect(await ingress(world.direct, groupA)).toEqual(['22:0.0.0.0/0']);
    expect(await isPublic(world.direct, 'bucket-in-a')).toBe(true);
    expect(assumeRoleCalls(world)).toHaveLength(1);
  });

  it('remediate of B’s bucket, named by its ARN (which has no account) and `account`: fixed in B only', async () => {
    const report = await manual()(
      { action: 'remediate', resource: 'arn:aws:s3:::bucket-in-b', account: B, rules: ['publicStorage'] },
      FUNCTION_CONTEXT,
    );
    expect(rule(report, 'publicStorage')).toMatchObject({ status: 'fixed', resource: { account: B } });
    expect(await isPublic(inB, 'bucket-in-b')).toBe(false);
    expect(await isPublic(world.direct, 'bucket-in-a')).toBe(true);
    expect(assumeRoleCalls(world)).toHaveLength(1);
  });

  it('an ARN naming another account than `account` is refused before any call', async () => {
    const report = await manual()(
      { action: 'remediate', resource: `arn:aws:ec2:us-east-1:${B}:security-group/${groupB}`, account: '123456789012' },
      FUNCTION_CONTEXT,
    );
    expect(report.errors).toEqual([
      { code: 'MalformedResourceId', message: expect.stringMatching(/is in account 210987654321, not 123456789012/) },
    ]);
    expect(world.proxy.calls()).toEqual([]);
  });

  it('remediate of B’s group without the member role: ignored, no call', async () => {
    const report = await manual({})(
      { action: 'remediate', resource: `arn:aws:ec2:us-east-1:${B}:security-group/${groupB}` },
      FUNCTION_CONTEXT,
    );
    expect(report.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/REFLEX_MEMBER/) });
    expect(world.proxy.calls()).toEqual([]);
  });
});
