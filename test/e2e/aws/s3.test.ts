import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { ALL_USERS, AUTHENTICATED_USERS, type Report } from '@reflex/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixture, handlers, LOG_BUCKET, policy, resetWorld, startWorld, type World, writeCalls } from './world.js';

const BUCKET = 'reflex-e2e-bucket';
const ARN = `arn:aws:s3:::${BUCKET}`;
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
const grantsOf = async (Bucket = BUCKET) => (await s3().send(new GetBucketAclCommand({ Bucket }))).Grants ?? [];
const policyOf = async (Bucket = BUCKET) => {
  try {
    return JSON.parse((await s3().send(new GetBucketPolicyCommand({ Bucket }))).Policy ?? '{}') as {
      Statement: { Sid?: string; Effect: string; Principal?: unknown; Condition?: unknown }[];
    };
  } catch {
    return null;
  }
};
const byRule = (report: Report, rule: string) => report.outcomes.find((o) => o.rule === rule);
const event = (name: string) => fixture(name, { 'amzn-s3-demo-bucket': BUCKET });
/** A new bucket: the one S3 event that has every storage rule judged. */
const created = () => fixture('cloudtrail-s3-CreateBucket.json', { 'bucket-test-iad': BUCKET });

describe('S3 on moto, through the events handler', () => {
  it('public-read ACL (canned) → only the ACL rule is judged: grants removed, owner kept, block on, nothing else read', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { events } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await events(event('cloudtrail-s3-PutBucketAcl-canned-public-read.json'));

    expect(report.outcomes.map((o) => [o.rule, o.status])).toEqual([['publicStorage', 'fixed']]);
    // PutBucketAcl cannot change encryption or logging: those are neither read nor touched.
    const operations = world.proxy.calls().map((c) => c.operation);
    expect(operations).not.toContain('GetBucketEncryption');
    expect(operations).not.toContain('GetBucketLogging');
    expect(
      writeCalls(world)
        .map((c) => c.operation)
        .sort(),
    ).toEqual(['PutBucketAcl', 'PutPublicAccessBlock']);
    expect((await s3().send(new GetBucketLoggingCommand({ Bucket: BUCKET }))).LoggingEnabled).toBeUndefined();
    const grants = await grantsOf();
    expect(grants.map((g) => g.Grantee?.URI).filter(Boolean)).toEqual([]);
    expect(grants.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
    const acl = byRule(report, 'publicStorage')!.steps!.find((s) => s.step.fix.type === 'remove-public-grants')!;
    expect(acl.result?.before).toMatchObject({
      grants: expect.arrayContaining([expect.objectContaining({ grantee: ALL_USERS })]),
    });
    expect(acl.result?.requestIds.length).toBe(1);
  });

  it('CreateBucket (public-read) → every storage rule: grants removed, block, encryption, logging and HTTPS-only on', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { events } = handlers(world, policy());
    const report = await events(created());

    expect(report.outcomes.map((o) => [o.rule, o.status])).toEqual(
      expect.arrayContaining([
        ['publicStorage', 'fixed'],
        ['unencryptedStorage', 'fixed'],
        ['storageWithoutLogging', 'fixed'],
        ['insecureTransport', 'fixed'],
      ]),
    );
    const grants = await grantsOf();
    expect(grants.map((g) => g.Grantee?.URI).filter(Boolean)).toEqual([]);
    expect(grants.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
    const block = (await s3().send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration;
    expect(block).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const sse = await s3().send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    expect(sse.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe(
      'AES256',
    );
    const logging = await s3().send(new GetBucketLoggingCommand({ Bucket: BUCKET }));
    expect(logging.LoggingEnabled).toEqual({ TargetBucket: LOG_BUCKET, TargetPrefix: `${BUCKET}/` });
    const logPolicy = await policyOf(LOG_BUCKET);
    expect(logPolicy?.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      }),
    ]);
    expect((await policyOf())?.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Sid: 'ReflexDenyInsecureTransport' }),
    ]);
    // Every applied step carries its before and the request ids.
    const acl = byRule(report, 'publicStorage')!.steps!.find((s) => s.step.fix.type === 'remove-public-grants')!;
    expect(acl.result?.before).toMatchObject({
      grants: expect.arrayContaining([expect.objectContaining({ grantee: ALL_USERS })]),
    });
    expect(acl.result?.requestIds.length).toBe(1);
  });

  it('public-read-write and AuthenticatedUsers grants (Grant array event) → only the public grants go', async () => {
    const owner = (await s3().send(new GetBucketAclCommand({ Bucket: BUCKET }))).Owner!;
    await s3().send(
      new PutBucketAclCommand({
        Bucket: BUCKET,
        AccessControlPolicy: {
          Owner: owner,
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: owner.ID }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
            { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'WRITE' },
            { Grantee: { Type: 'Group', URI: AUTHENTICATED_USERS }, Permission: 'WRITE' },
            {
              Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' },
              Permission: 'READ_ACP',
            },
          ],
        },
      }),
    );
    const { events } = handlers(world, policy());
    const report = await events(event('cloudtrail-s3-PutBucketAcl-grants-array-public.json'));
    expect(byRule(report, 'publicStorage')?.status).toBe('fixed');
    const grants = await grantsOf();
    expect(grants.map((g) => `${g.Grantee?.URI ?? g.Grantee?.ID}:${g.Permission}`).sort()).toEqual(
      [`${owner.ID}:FULL_CONTROL`, 'http://acs.amazonaws.com/groups/s3/LogDelivery:READ_ACP'].sort(),
    );
  });

  it('public policy → only the public statement goes; SourceVpce and PrincipalOrgID statements stay', async () => {
    const statements = [
      { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${ARN}/*` },
      {
        Sid: 'Vpce',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `${ARN}/*`,
        Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
      },
      {
        Sid: 'Org',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:ListBucket',
        Resource: ARN,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      },
    ];
    await s3().send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      }),
    );
    const { events } = handlers(world, policy());
    const report = await events(event('cloudtrail-s3-PutBucketPolicy.json'));
    expect(byRule(report, 'publicStorage')?.status).toBe('fixed');
    expect(byRule(report, 'insecureTransport')?.status).toBe('fixed');
    const sids = (await policyOf())?.Statement.map((s) => s.Sid);
    // Both policy steps were one read-modify-write: neither lost the other's change.
    expect(sids).toEqual(['Vpce', 'Org', 'ReflexDenyInsecureTransport']);
    const step = byRule(report, 'publicStorage')!.steps!.find((s) => s.step.fix.type === 'remove-public-statements')!;
    expect(JSON.parse(step.result?.before as string).Statement).toHaveLength(3);
  });

  it('a public policy with nothing else in it is deleted when HTTPS-only is not enforced', async () => {
    await s3().send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'P', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${ARN}/*` }],
        }),
      }),
    );
    const { events } = handlers(world, policy({ rules: { insecureTransport: { mode: 'off' } } }));
    const report = await events(event('cloudtrail-s3-PutBucketPolicy.json'));
    expect(byRule(report, 'publicStorage')?.status).toBe('fixed');
    expect(await policyOf()).toBeNull();
  });

  it('public access block deleted → restored', async () => {
    const { events } = handlers(world, policy());
    const report = await events(event('cloudtrail-s3-DeleteBucketPublicAccessBlock.json'));
    expect(byRule(report, 'publicStorage')?.status).toBe('fixed');
    const block = (await s3().send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration;
    expect(Object.values(block ?? {})).toEqual([true, true, true, true]);
  });

  it('encryption deleted → SSE restored (KMS with bucket key when the policy names a key)', async () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { events } = handlers(
      world,
      policy({ rules: { unencryptedStorage: { aws: { algorithm: 'aws:kms', kmsKeyId: key } } } }),
    );
    const report = await events(event('cloudtrail-s3-DeleteBucketEncryption.json'));
    expect(byRule(report, 'unencryptedStorage')?.status).toBe('fixed');
    const rule = (await s3().send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))).ServerSideEncryptionConfiguration
      ?.Rules?.[0];
    expect(rule).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
      BucketKeyEnabled: true,
    });
  });

  it('logging off → on to the configured target; the target keeps its other statements', async () => {
    // moto's PutBucketLogging check answers 500 when a target statement's Principal is the string '*' (moto gap).
    const existing = {
      Sid: 'KeepMe',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${LOG_BUCKET}/*`,
    };
    await s3().send(
      new PutBucketPolicyCommand({
        Bucket: LOG_BUCKET,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [existing] }),
      }),
    );
    const { events } = handlers(world, policy());
    const report = await events(event('cloudtrail-s3-PutBucketLogging-disable.json'));
    expect(byRule(report, 'storageWithoutLogging')?.status).toBe('fixed');
    expect((await s3().send(new GetBucketLoggingCommand({ Bucket: BUCKET }))).LoggingEnabled?.TargetBucket).toBe(
      LOG_BUCKET,
    );
    expect((await policyOf(LOG_BUCKET))?.Statement.map((s) => s.Sid)).toEqual([
      'KeepMe',
      'ReflexS3ServerAccessLogsPolicy',
    ]);
  });

  it('dry-run: zero write calls, and a ticket whose steps name the exact calls', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { events, tickets } = handlers(world, policy({ mode: 'dry-run' }));
    world.proxy.resetStats();
    const report = await events(event('cloudtrail-s3-PutBucketAcl-canned-public-read.json'));
    expect(writeCalls(world)).toEqual([]);
    expect(world.proxy.calls().length).toBeGreaterThan(0);
    expect(byRule(report, 'publicStorage')?.status).toBe('ticketed');
    const ticket = tickets.tickets.find((t) => t.rule === 'publicStorage')!;
    expect(ticket.steps.map((s) => s.api)).toEqual(['s3:PutPublicAccessBlock', 's3:PutBucketAcl']);
    expect(ticket.steps[1]!.cli).toContain(`aws s3api put-bucket-acl --bucket ${BUCKET} --access-control-policy`);
    expect(ticket.steps[1]!.cli).not.toContain('AllUsers');
    expect(ticket.steps[1]!.permission).toBe('s3:PutBucketAcl');
    expect((await grantsOf()).some((g) => g.Grantee?.URI === ALL_USERS)).toBe(true);
  });

  it('the same event twice → one fix', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { events, audit } = handlers(world, policy());
    const e = event('cloudtrail-s3-PutBucketAcl-canned-public-read.json');
    const first = await events(e);
    const applied = audit.records.length;
    world.proxy.resetStats();
    const second = await events(e);
    expect(byRule(first, 'publicStorage')?.status).toBe('fixed');
    expect(second.outcomes.every((o) => o.status === 'ignored' && /already handled/.test(o.reason))).toBe(true);
    expect(audit.records.length).toBe(applied);
    expect(world.proxy.calls()).toEqual([]);
    // Even without the ledger (another container), a redelivery finds nothing to fix.
    const { events: other, audit: otherAudit } = handlers(world, policy());
    const third = await other(e);
    expect(third.outcomes.every((o) => o.status === 'compliant')).toBe(true);
    expect(otherAudit.records).toEqual([]);
  });

  it('AccessDenied on one step → that outcome fails with the reason, the other fixes are done', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    const { createAwsClients } = await import('@reflex/aws');
    const clients = createAwsClients('us-east-1', {
      endpoint: world.proxy.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    // An IAM deny, as S3 answers it (moto does not evaluate IAM): 403 AccessDenied for PutBucketEncryption.
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutBucketEncryptionCommand')
          throw Object.assign(
            new Error(
              'User: arn:aws:sts::123456789012:assumed-role/reflex-bot/x is not authorized to perform: s3:PutEncryptionConfiguration',
            ),
            {
              name: 'AccessDenied',
              $fault: 'client',
              $metadata: { httpStatusCode: 403 },
            },
          );
        return next(args);
      },
      { step: 'initialize', name: 'denyEncryption' },
    );
    const { events } = handlers(world, policy(), { clients: () => clients });
    const report = await events(created());
    const denied = byRule(report, 'unencryptedStorage')!;
    expect(denied.status).toBe('failed');
    expect(denied.reason).toMatch(/not authorized to perform: s3:PutEncryptionConfiguration/);
    expect(denied.transient).toBeFalsy();
    expect(byRule(report, 'publicStorage')?.status).toBe('fixed');
    expect(byRule(report, 'storageWithoutLogging')?.status).toBe('fixed');
    expect((await grantsOf()).some((g) => g.Grantee?.URI === ALL_USERS)).toBe(false);
  });

  it('30% injected throttling → everything still fixed', async () => {
    await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    world.proxy.setFaults({ throttleRate: 0.3, seed: 7 });
    const { events } = handlers(world, policy());
    const report = await events(created());
    world.proxy.setFaults({ throttleRate: 0 });
    expect(world.proxy.stats().faults.throttle).toBeGreaterThan(0);
    expect(report.outcomes.filter((o) => o.rule).map((o) => o.status)).toEqual(['fixed', 'fixed', 'fixed', 'fixed']);
    expect((await grantsOf()).some((g) => g.Grantee?.URI === ALL_USERS)).toBe(false);
    // The SDK backs off throttles from a 500 ms base with jitter: a slow but correct run must not fail the test.
  }, 120_000);
});
