import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateTrailCommand,
  GetTrailStatusCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeFlowLogsCommand,
  DescribeSecurityGroupRulesCommand,
  DisableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand as GetAccountBlock,
} from '@aws-sdk/client-s3-control';
import { LogAuditSink } from '@reflex/aws';
import { type AuditRecord, MemoryAuditStore, type Report } from '@reflex/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  fixture,
  handlers,
  LOG_BUCKET,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
  writeCalls,
} from './world.js';

const BUCKET = 'reflex-undo-bucket';
let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
  await world.direct.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await world.direct.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
});

const s3 = () => world.direct.s3;
const missing = (p: Promise<unknown>) =>
  p.then(
    () => 'present',
    (e: { name?: string }) => e.name,
  );
const byRule = (report: Report, rule: string) => report.outcomes.find((o) => o.rule === rule)!;
const undo = (remediationId: string, extra: Record<string, unknown> = {}) => ({
  action: 'undo',
  remediationId,
  reason: 'CHG-1 planned exception',
  requestedBy: 'carol',
  ...extra,
});
const bucketState = async () => ({
  grants: ((await s3().send(new GetBucketAclCommand({ Bucket: BUCKET }))).Grants ?? [])
    .map((g) => `${g.Grantee?.URI ?? 'owner'}:${g.Permission}`)
    .sort(),
  block: await missing(s3().send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))),
  encryption: await missing(s3().send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))),
  logging: (await s3().send(new GetBucketLoggingCommand({ Bucket: BUCKET }))).LoggingEnabled ?? null,
  policy: await s3()
    .send(new GetBucketPolicyCommand({ Bucket: BUCKET }))
    .then(
      (p) => JSON.parse(p.Policy!) as unknown,
      () => null,
    ),
});

describe('undo on moto, through the manual handler', () => {
  it('after a new public-read bucket was fixed: every remediation undone puts it back exactly as it was', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const original = await bucketState();
    const { events, manual, audit } = handlers(world, policy());
    const report = await events(fixture('cloudtrail-s3-CreateBucket.json', { 'bucket-test-iad': BUCKET }));
    const rules = ['publicStorage', 'unencryptedStorage', 'storageWithoutLogging', 'insecureTransport'];
    for (const rule of rules) expect(byRule(report, rule).status, rule).toBe('fixed');
    expect(await bucketState()).not.toEqual(original);

    for (const rule of rules) {
      const answer = await manual(undo(byRule(report, rule).remediationId!));
      expect(answer.outcomes[0], rule).toMatchObject({ status: 'fixed' });
    }
    expect(await bucketState()).toEqual(original);
    // Undo is audited: one `undone` record per restored step, with who and why.
    const undone = audit.records.filter((r) => r.status === 'undone');
    expect(undone.length).toBeGreaterThanOrEqual(rules.length);
    expect(undone[0]!.correlation).toMatchObject({ claimedBy: 'carol', reason: 'CHG-1 planned exception' });
    expect(undone[0]!.correlation.actor).toBeUndefined();

    // A second undo of the same remediation does nothing.
    const again = await manual(undo(byRule(report, 'publicStorage').remediationId!));
    expect(again.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/already undone/) });
  });

  it('after a policy fix written as one document (public statement out, HTTPS-only in): both undo cleanly', async () => {
    const publicPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Public',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${BUCKET}/*`,
        },
      ],
    };
    await s3().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(publicPolicy) }));
    const { events, manual } = handlers(world, policy());
    const report = await events(fixture('cloudtrail-s3-PutBucketPolicy.json', { 'amzn-s3-demo-bucket': BUCKET }));
    expect(byRule(report, 'publicStorage').status).toBe('fixed');
    for (const rule of ['insecureTransport', 'publicStorage'])
      expect((await manual(undo(byRule(report, rule).remediationId!))).outcomes[0]?.status, rule).toBe('fixed');
    expect((await bucketState()).policy).toEqual(publicPolicy);
  });

  it('puts Block Public Access back first (S3 rejects a public ACL or policy under it); a partly failed undo continues on retry', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const publicPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Public',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${BUCKET}/*`,
        },
      ],
    };
    await s3().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(publicPolicy) }));
    const { events, manual, audit } = handlers(world, policy());
    // An ACL call: publicStorage alone is judged (block, grants, and the public statement).
    const report = await events(
      fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': BUCKET }),
    );
    const id = byRule(report, 'publicStorage').remediationId!;
    expect(
      byRule(report, 'publicStorage')
        .steps!.map((s) => s.step.fix.type)
        .sort(),
    ).toEqual(['block-public-access', 'remove-public-grants', 'remove-public-statements']);
    // Undo with the ACL write failing throughout.
    world.proxy.resetStats();
    world.proxy.setFaults({ errorRate: 1, match: (r) => r.operation === 'PutBucketAcl' });
    const first = await manual(undo(id));
    expect(first.outcomes[0]?.status).toBe('failed');
    const writes = writeCalls(world).map((c) => c.operation);
    // The gate opens first: nothing public is written while Block Public Access is on.
    expect(writes[0]).toBe('DeletePublicAccessBlock');
    // Then newest step first, stopping at the ACL write that failed (the SDK's retries included).
    const acl = writes.indexOf('PutBucketAcl');
    expect(acl).toBeGreaterThan(0);
    expect(writes.slice(acl).every((w) => w === 'PutBucketAcl')).toBe(true);
    // Half restored: the ACL is still the fixed one.
    expect((await bucketState()).grants).toEqual(['owner:FULL_CONTROL']);

    world.proxy.setFaults({ errorRate: 0 });
    // A dry-run now sees the steps still to undo (not "already undone"), and writes nothing.
    world.proxy.resetStats();
    const preview = await manual({ ...undo(id), dryRun: true });
    expect(preview.outcomes[0]).toMatchObject({
      status: 'ticketed',
      reason: expect.stringMatching(/dry-run: would restore the recorded before of [12] step\(s\)/),
    });
    expect(writeCalls(world)).toEqual([]);
    world.proxy.resetStats();
    const retry = await manual(undo(id));
    expect(retry.outcomes[0]).toMatchObject({ status: 'fixed' });
    // Only the steps left over were written: the gate is not opened twice, each left-over write sent once.
    const rest = writeCalls(world).map((c) => c.operation);
    expect(rest).not.toContain('DeletePublicAccessBlock');
    expect(rest.filter((w) => w === 'PutBucketAcl')).toHaveLength(1);
    expect([...writes.slice(0, acl), ...rest].filter((w) => w === 'PutBucketPolicy')).toHaveLength(1);
    const state = await bucketState();
    expect(state.grants).toEqual(['http://acs.amazonaws.com/groups/global/AllUsers:READ', 'owner:FULL_CONTROL']);
    expect(state.block).toBe('NoSuchPublicAccessBlockConfiguration');
    expect(state.policy).toEqual(publicPolicy);
    // One undone record per step, and now it is undone.
    const undone = audit.records.filter((r) => r.remediationId === id && r.status === 'undone');
    expect(undone.map((r) => r.fix.type).sort()).toEqual([
      'block-public-access',
      'remove-public-grants',
      'remove-public-statements',
    ]);
    const again = await manual(undo(id));
    expect(again.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/already undone/) });
  });

  it('write-ahead: the before is recorded before the write; a fix whose "applied" mark was lost is still undone', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const original = await bucketState();
    const store = new MemoryAuditStore();
    const order: string[] = [];
    // The audit table takes the write-ahead records, then fails every "applied" mark.
    const flaky = Object.assign(Object.create(store) as MemoryAuditStore, {
      record: async (r: AuditRecord) => {
        order.push(`audit:${r.fix.type}:${r.status}:writes sent ${writeCalls(world).length}`);
        if (r.status === 'applied') throw new Error('ProvisionedThroughputExceededException');
        return store.record(r);
      },
    });
    world.proxy.resetStats();
    const { events, manual } = handlers(world, policy(), { audit: flaky });
    const report = await events(
      fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': BUCKET }),
    );
    const ps = byRule(report, 'publicStorage');
    expect(ps.status).toBe('fixed');
    expect(ps.notes?.join()).toMatch(/stays "intended"/);
    // Every step's intended record was written before any write was sent.
    expect(order.slice(0, 2).sort()).toEqual([
      'audit:block-public-access:intended:writes sent 0',
      'audit:remove-public-grants:intended:writes sent 0',
    ]);
    expect(store.records.map((r) => [r.fix.type, r.status])).toEqual([
      ['block-public-access', 'intended'],
      ['remove-public-grants', 'intended'],
    ]);
    const acl = store.records.find((r) => r.fix.type === 'remove-public-grants')!;
    expect(JSON.stringify(acl.before)).toContain('AllUsers');
    const undone = await manual(undo(ps.remediationId!));
    expect(undone.outcomes[0]).toMatchObject({ status: 'fixed' });
    expect(await bucketState()).toEqual(original);
  });

  it('refuses when someone changed the bucket since, shows the difference, and touches nothing', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { events, manual } = handlers(world, policy());
    const report = await events(
      fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': BUCKET }),
    );
    // Someone else tightens the block differently, after Reflex.
    await s3().send(
      new PutPublicAccessBlockCommand({
        Bucket: BUCKET,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true,
        },
      }),
    );
    const before = await bucketState();
    world.proxy.resetStats();
    const answer = await manual(undo(byRule(report, 'publicStorage').remediationId!));
    expect(answer.outcomes[0]?.status).toBe('failed');
    expect(answer.undo?.status).toBe('refused');
    expect(answer.undo?.differences).toEqual([
      `s3://${BUCKET}: Block Public Access is BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=true; Reflex set BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    ]);
    expect(answer.outcomes[0]?.notes).toEqual(answer.undo?.differences);
    expect(writeCalls(world)).toEqual([]);
    expect(await bucketState()).toEqual(before);
  });

  it('security group: undo re-authorizes the revoked rules; refused when one was added back by hand', async () => {
    const ec2 = world.direct.ec2;
    const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web-sg', Description: 'web' })))
      .GroupId!;
    const open = {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'temporary vendor access' }],
    };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [open] }));
    const ingress = async () =>
      (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
        .SecurityGroupRules!.filter((r) => !r.IsEgress)
        .map((r) => `${r.FromPort} ${r.CidrIpv4} ${r.Description}`);
    const { events, manual } = handlers(world, policy());
    const event = () =>
      fixture('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json', {
        'sg-0123456789abcdef0': groupId,
      });

    const first = await events(event());
    expect(byRule(first, 'openIngress').status).toBe('fixed');
    expect(await ingress()).toEqual([]);
    expect((await manual(undo(byRule(first, 'openIngress').remediationId!))).outcomes[0]?.status).toBe('fixed');
    expect(await ingress()).toEqual(['22 0.0.0.0/0 temporary vendor access']);

    // Fixed again; then someone opens it again by hand: undo refuses, naming the rule.
    const second = await events(event());
    expect(byRule(second, 'openIngress').status).toBe('fixed');
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [open] }));
    const answer = await manual(undo(byRule(second, 'openIngress').remediationId!));
    expect(answer.undo?.status).toBe('refused');
    expect(answer.undo?.differences?.[0]).toMatch(
      /revoked rule \(tcp 22-22 from cidr:0\.0\.0\.0\/0\) is present again/,
    );
    expect(await ingress()).toEqual(['22 0.0.0.0/0 temporary vendor access']);
  });

  it('trail, flow logs, EBS default encryption and the account block: undone to their recorded before', async () => {
    const { events, manual } = handlers(world, policy());
    const ct = world.direct.cloudtrail;
    await ct.send(new CreateTrailCommand({ Name: 'management-events', S3BucketName: LOG_BUCKET }));
    await ct.send(new StartLoggingCommand({ Name: 'management-events' }));
    await ct.send(new StopLoggingCommand({ Name: 'management-events' }));
    const vpcId = (await world.direct.ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
    await world.direct.ec2.send(new DisableEbsEncryptionByDefaultCommand({}));
    await world.direct.s3control
      .send(new DeletePublicAccessBlockCommand({ AccountId: MOTO_ACCOUNT_ID }))
      .catch(() => undefined);

    const reports = await Promise.all(
      [
        'cloudtrail-cloudtrail-StopLogging.json',
        'cloudtrail-ec2-DeleteFlowLogs.json',
        'cloudtrail-ec2-DisableEbsEncryptionByDefault.json',
        'cloudtrail-s3control-DeleteAccountPublicAccessBlock.json',
      ].map((name) => events(fixture(name))),
    );
    const outcomes = reports.flatMap((r) => r.outcomes).filter((o) => o.status === 'fixed');
    const ids = (rule: string) =>
      outcomes.filter((o) => o.rule === rule && (o.resource.name === vpcId || rule !== 'networkWithoutFlowLogs'));
    const fixed = [
      'trailLoggingStopped',
      'networkWithoutFlowLogs',
      'ebsEncryptionByDefaultOff',
      'accountPublicAccessUnblocked',
    ];
    for (const rule of fixed) expect(ids(rule).length, rule).toBeGreaterThan(0);
    const flows = async () =>
      (await world.direct.ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }] })))
        .FlowLogs ?? [];
    expect(await flows()).toHaveLength(1);

    for (const rule of fixed)
      for (const o of ids(rule))
        expect((await manual(undo(o.remediationId!))).outcomes[0]?.status, `${rule} ${o.resource.name}`).toBe('fixed');
    expect((await ct.send(new GetTrailStatusCommand({ Name: 'management-events' }))).IsLogging).toBe(false);
    expect(await flows()).toEqual([]);
    expect((await world.direct.ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(false);
    expect(await missing(world.direct.s3control.send(new GetAccountBlock({ AccountId: MOTO_ACCOUNT_ID })))).toBe(
      'NoSuchPublicAccessBlockConfiguration',
    );
  });

  it('dry-run undo only checks; without a readable audit store undo says so clearly', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { events, manual } = handlers(world, policy());
    const report = await events(
      fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': BUCKET }),
    );
    const id = byRule(report, 'publicStorage').remediationId!;
    world.proxy.resetStats();
    const dry = await manual(undo(id, { dryRun: true }));
    expect(dry.outcomes[0]).toMatchObject({
      status: 'ticketed',
      reason: expect.stringMatching(/dry-run: would restore/),
    });
    expect(writeCalls(world)).toEqual([]);

    const logOnly = handlers(world, policy(), { audit: new LogAuditSink(new Logger({ logLevel: 'SILENT' })) });
    const answer = await logOnly.manual(undo(id));
    expect(answer.outcomes[0]?.status).toBe('failed');
    expect(answer.outcomes[0]?.reason).toMatch(/no audit store is configured \(set REFLEX_AUDIT_TABLE\)/);
  });
});
