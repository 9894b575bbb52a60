import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { CONTAINED_TAG, LOCKDOWN_SID, type ManualReport, QUARANTINE_GROUP } from '@reflex/aws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BOT_ROLE,
  handlers,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
  writeCalls,
} from './world.js';

let world: World;
let imageId: string;
beforeAll(async () => {
  world = await startWorld();
  imageId = (await world.direct.ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
});

const BREAK_GLASS = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/security/break-glass`;
const arnOf = {
  instance: (id: string) => `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT_ID}:instance/${id}`,
  group: (id: string) => `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT_ID}:security-group/${id}`,
  bucket: (name: string) => `arn:aws:s3:::${name}`,
};

async function runInstance() {
  const out = await world.direct.ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8 } }],
    }),
  );
  const i = out.Instances![0]!;
  return { id: i.InstanceId!, groups: i.NetworkInterfaces![0]!.Groups!.map((g) => g.GroupId!) };
}

async function instanceState(id: string) {
  const out = await world.direct.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const i = out.Reservations![0]!.Instances![0]!;
  return {
    groups: (i.NetworkInterfaces ?? []).flatMap((n) => (n.Groups ?? []).map((g) => g.GroupId!)),
    tag: i.Tags?.find((t) => t.Key === CONTAINED_TAG)?.Value,
  };
}

async function rulesOf(groupId: string) {
  const out = await world.direct.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return out.SecurityGroupRules ?? [];
}

const undoOf = (report: ManualReport, reason = 'false positive') => ({
  action: 'undo',
  remediationId: report.outcomes[0]!.remediationId!,
  reason,
  requestedBy: 'bob',
});

describe('manual contain on moto, through the manual handler', () => {
  it('isolates an instance: quarantine group with no rules on every interface, tag, snapshots; undo puts it back', async () => {
    const a = await runInstance();
    const b = await runInstance();
    const { manual, audit } = handlers(world, policy(), { env: { REFLEX_CONTAIN_SNAPSHOTS: 'true' } });
    const report = await manual({
      action: 'contain',
      resource: arnOf.instance(a.id),
      reason: 'INC-7 crypto-miner',
      requestedBy: 'alice@example.com',
    });
    expect(report.outcomes[0]).toMatchObject({ status: 'fixed' });

    const quarantine = (
      await world.direct.ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [QUARANTINE_GROUP] }] }),
      )
    ).SecurityGroups!;
    expect(quarantine).toHaveLength(1);
    const qg = quarantine[0]!.GroupId!;
    expect(await rulesOf(qg)).toEqual([]); // no ingress, and its default egress rule revoked
    const state = await instanceState(a.id);
    expect(state.groups).toEqual([qg]);
    expect(state.tag).toMatch(/^\d{4}-\d\d-\d\dT.* INC-7 crypto-miner \(by alice@example.com, unverified\)$/);
    const snaps = await world.direct.ec2.send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:reflex:instance', Values: [a.id] }] }),
    );
    expect(snaps.Snapshots).toHaveLength(1);
    expect(snaps.Snapshots![0]!.Tags?.find((t) => t.Key === CONTAINED_TAG)?.Value).toBe(state.tag);
    // Audited with who and why.
    expect(audit.records[0]).toMatchObject({
      rule: 'contain',
      mode: 'manual',
      status: 'applied',
      correlation: { reason: 'INC-7 crypto-miner', claimedBy: 'alice@example.com', source: 'manual' },
    });

    // A second containment reuses the group.
    const second = await manual({ action: 'contain', resource: arnOf.instance(b.id), reason: 'INC-7 second host' });
    expect(second.outcomes[0]?.status).toBe('fixed');
    expect((await instanceState(b.id)).groups).toEqual([qg]);

    const undone = await manual(undoOf(report));
    expect(undone.outcomes[0]).toMatchObject({ status: 'fixed' });
    expect(undone.undo?.status).toBe('undone');
    expect(await instanceState(a.id)).toEqual({ groups: a.groups, tag: undefined });
    expect((await instanceState(b.id)).groups).toEqual([qg]); // the other containment stays
    expect(audit.records.at(-1)).toMatchObject({ status: 'undone', correlation: { claimedBy: 'bob' } });
    // A direct Invoke names no caller: the payload's name is a claim, never the actor.
    expect(audit.records.map((r) => r.correlation.actor)).toEqual(audit.records.map(() => undefined));
  });

  it('locks a bucket down: all four blocks, a deny for everyone but the bot and break-glass, other statements kept', async () => {
    const s3 = world.direct.s3;
    await s3.send(new CreateBucketCommand({ Bucket: 'evidence-bucket' }));
    const original = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AppRead',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/app` },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::evidence-bucket/*',
        },
      ],
    };
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'evidence-bucket', Policy: JSON.stringify(original) }));
    const { manual } = handlers(world, policy(), { env: { REFLEX_BREAK_GLASS_ROLE_ARNS: BREAK_GLASS } });
    const report = await manual({ action: 'contain', resource: arnOf.bucket('evidence-bucket'), reason: 'INC-8 leak' });
    expect(report.outcomes[0]?.status).toBe('fixed');

    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'evidence-bucket' }));
    expect(Object.values(block.PublicAccessBlockConfiguration ?? {})).toEqual([true, true, true, true]);
    const doc = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: 'evidence-bucket' }))).Policy!);
    expect(doc.Statement[0]).toEqual(original.Statement[0]);
    expect(doc.Statement[1]).toEqual({
      Sid: LOCKDOWN_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::evidence-bucket', 'arn:aws:s3:::evidence-bucket/*'],
      Condition: { StringNotLike: { 'aws:PrincipalArn': [BOT_ROLE, BREAK_GLASS].sort() } },
    });

    const undone = await manual(undoOf(report));
    expect(undone.outcomes[0]?.status).toBe('fixed');
    const after = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: 'evidence-bucket' }))).Policy!);
    expect(after).toEqual(original);
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket: 'evidence-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchPublicAccessBlockConfiguration',
    });
  });

  it('refuses a bucket lock-down that nobody could undo (no bot identity, no break-glass role)', async () => {
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'orphan-bucket' }));
    const { manual } = handlers(world, policy({ identities: { aws: [] } }));
    const report = await manual({ action: 'contain', resource: arnOf.bucket('orphan-bucket'), reason: 'INC-9' });
    expect(report.outcomes[0]?.status).toBe('failed');
    expect(report.outcomes[0]?.reason).toMatch(/at least one principal/);
    expect(writeCalls(world)).toEqual([]);
  });

  it('shuts a security group (every inbound rule) and undo authorizes them again with their descriptions', async () => {
    const ec2 = world.direct.ec2;
    const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'db-sg', Description: 'db' })))
      .GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'app' }] },
          {
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '192.0.2.0/24', Description: 'bastion' }],
          },
        ],
      }),
    );
    const { manual } = handlers(world, policy());
    const report = await manual({ action: 'contain', resource: arnOf.group(groupId), reason: 'INC-10' });
    expect(report.outcomes[0]?.status).toBe('fixed');
    const rules = await rulesOf(groupId);
    expect(rules.filter((r) => !r.IsEgress)).toEqual([]);
    expect(rules.filter((r) => r.IsEgress)).toHaveLength(1); // egress untouched

    expect((await manual(undoOf(report))).outcomes[0]?.status).toBe('fixed');
    const back = (await rulesOf(groupId)).filter((r) => !r.IsEgress);
    expect(back.map((r) => [r.FromPort, r.CidrIpv4, r.Description]).sort()).toEqual([
      [22, '192.0.2.0/24', 'bastion'],
      [5432, '10.0.0.0/8', 'app'],
    ]);
  });

  it('dry-run contain changes nothing and names the calls; a contain without a reason is rejected', async () => {
    const a = await runInstance();
    const { manual } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await manual({ action: 'contain', resource: arnOf.instance(a.id), reason: 'drill', dryRun: true });
    expect(report.outcomes[0]?.status).toBe('ticketed');
    const calls = report.outcomes[0]!.steps![0]!.step.calls.map((c) => c.api);
    expect(calls).toContain('ec2:ModifyNetworkInterfaceAttribute');
    expect(writeCalls(world)).toEqual([]);
    expect((await instanceState(a.id)).groups).toEqual(a.groups);

    const bad = await manual({ action: 'contain', resource: arnOf.instance(a.id) });
    expect(bad.errors?.[0]?.message).toMatch(/reason is required for contain/);
  });
});
