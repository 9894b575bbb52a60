import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient, ScanCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { DynamoDbLeaseStore } from '@reflex/aws';
import type { AuditRecord, Report } from '@reflex/core';
import { MemoryTicketSink, resourceLeaseKey } from '@reflex/core';
import { MOTO_CREDENTIALS } from '@reflex/sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  awsOptions,
  fixture,
  LOG_BUCKET,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
  writeCalls,
} from './world.js';

const BUCKET = 'reflex-race-bucket';
const ARN = `arn:aws:s3:::${BUCKET}`;
const AUDIT = 'reflex-audit';
const STATE = 'reflex-state';
let world: World;
let ddb: DynamoDBClient;

beforeAll(async () => {
  world = await startWorld();
  ddb = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: world.moto.endpoint,
    credentials: { ...MOTO_CREDENTIALS },
  });
});
afterAll(async () => {
  await world?.stop();
});

/** A statement that is not public and must stay: another account may read. */
const PARTNER = {
  Sid: 'PartnerRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::210987654321:root' },
  Action: 's3:GetObject',
  Resource: `${ARN}/*`,
};
/** An unrelated Deny of the owner's: stays too. */
const NO_DELETE = {
  Sid: 'NoDeleteBucket',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:DeleteBucket',
  Resource: ARN,
};
const PUBLIC = { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${ARN}/*` };

async function tables() {
  await ddb.send(
    new CreateTableCommand({
      TableName: AUDIT,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'remediationId', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'remediationId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await ddb.send(
    new CreateTableCommand({
      TableName: STATE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await ddb.send(
    new UpdateTimeToLiveCommand({
      TableName: STATE,
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    }),
  );
}

/**
 * One Lambda container: the aws package loaded afresh (its own module state: policy locks, caches, SDK clients),
 * a bot built from the environment, sharing nothing with the others but moto and the two tables.
 */
async function container() {
  vi.resetModules();
  const aws = await import('@reflex/aws');
  const events = aws.createEventsHandler({
    policy: policy(),
    clients: aws.cachedClients({ endpoint: world.proxy.endpoint, credentials: { ...MOTO_CREDENTIALS } }),
    tickets: new MemoryTicketSink(),
    env: { REFLEX_AUDIT_TABLE: AUDIT, REFLEX_STATE_TABLE: STATE },
    awsOptions: awsOptions(world),
    logger: new Logger({ logLevel: 'SILENT' }),
    account: MOTO_ACCOUNT_ID,
  });
  return { module: aws, events };
}

/** Lambda's asynchronous invocation: a handler that throws is invoked again with the same event. */
async function deliver(events: (e: unknown) => Promise<Report>, event: unknown): Promise<Report> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await events(event);
    } catch (err) {
      if (attempt >= 5 || (err as Error).name !== 'TransientFailure') throw err;
    }
  }
}

describe('100 concurrent events on one bucket, 4 containers, one state table (moto)', () => {
  it('converge to one verified fix: every statement that should stay is there, no lost write, one audit record per step', async () => {
    await resetWorld(world);
    await tables();
    const s3 = world.direct.s3;
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
    await s3.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [PARTNER, PUBLIC, NO_DELETE] }),
      }),
    );

    const containers: Awaited<ReturnType<typeof container>>[] = [];
    for (let i = 0; i < 4; i++) containers.push(await container()); // one at a time: each import its own
    expect(new Set(containers.map((c) => c.module)).size).toBe(4); // four module instances, not one shared

    // 80 distinct events (ACL and policy calls, each naming the rules its call can affect), 20 redeliveries.
    const distinct = Array.from({ length: 80 }, (_, i) =>
      i % 2 === 0
        ? fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': BUCKET })
        : fixture('cloudtrail-s3-PutBucketPolicy.json', { 'amzn-s3-demo-bucket': BUCKET }),
    );
    const deliveries = [...distinct, ...distinct.slice(0, 20)];
    world.proxy.resetStats();
    const reports = await Promise.all(deliveries.map((e, i) => deliver(containers[i % 4]!.events, e)));

    const outcomes = reports.flatMap((r) => r.outcomes);
    const fixed = outcomes.filter((o) => o.status === 'fixed');
    // One fix per rule, verified by a re-read; everything else found it done or was a duplicate delivery.
    expect(fixed.map((o) => o.rule).sort()).toEqual(['insecureTransport', 'publicStorage']);
    expect(outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    expect(outcomes.every((o) => ['fixed', 'compliant', 'ignored'].includes(o.status))).toBe(true);

    // The end state: blocked, owner-only ACL, the public statement gone, the others kept, one HTTPS-only Deny.
    const block = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration;
    expect(block).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const grants = (await s3.send(new GetBucketAclCommand({ Bucket: BUCKET }))).Grants ?? [];
    expect(grants.map((g) => [g.Grantee?.Type, g.Permission])).toEqual([['CanonicalUser', 'FULL_CONTROL']]);
    const statements = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy!)
      .Statement as {
      Sid?: string;
    }[];
    expect(statements.filter((s) => s.Sid !== 'ReflexDenyInsecureTransport')).toEqual([PARTNER, NO_DELETE]);
    expect(statements.filter((s) => s.Sid === 'ReflexDenyInsecureTransport')).toHaveLength(1);

    // No duplicate side effect: each write was sent once (the policy twice at most: public out, HTTPS in).
    const writes = writeCalls(world).map((c) => c.operation);
    expect(writes.filter((w) => w === 'PutPublicAccessBlock')).toHaveLength(1);
    expect(writes.filter((w) => w === 'PutBucketAcl')).toHaveLength(1);
    expect(writes.filter((w) => w === 'PutBucketPolicy').length).toBeLessThanOrEqual(2);
    expect(writes.filter((w) => w === 'DeleteBucketPolicy')).toEqual([]);

    // Exactly one audit record per applied step, each with its before, each belonging to a fixed outcome.
    const items = (await ddb.send(new ScanCommand({ TableName: AUDIT }))).Items ?? [];
    const records = items.map((i) => JSON.parse(i.record!.S!) as AuditRecord);
    const applied = fixed.flatMap((o) => o.steps!.map((s) => s.step.id)).sort();
    expect(records.map((r) => r.stepId).sort()).toEqual(applied);
    expect(records.map((r) => r.status)).toEqual(records.map(() => 'applied'));
    expect(records.map((r) => r.fix.type).sort()).toEqual([
      'block-public-access',
      'remove-public-grants',
      'remove-public-statements',
      'require-secure-transport',
    ]);
    const removal = records.find((r) => r.fix.type === 'remove-public-statements')!;
    expect(JSON.parse(removal.before as string).Statement).toContainEqual(PUBLIC);
  }, 180_000);

  it("a log bucket's policy is written under that bucket's lease: a fix elsewhere waits while another container holds it", async () => {
    await resetWorld(world);
    await tables();
    const s3 = world.direct.s3;
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
    const kept = {
      Sid: 'Kept',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::210987654321:root' },
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${LOG_BUCKET}`,
    };
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: LOG_BUCKET,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [kept] }),
      }),
    );
    // Another container is working on the log bucket: it holds its lease.
    const other = new DynamoDbLeaseStore({ ...awsOptions(world), tableName: STATE, region: 'us-east-1' });
    const key = resourceLeaseKey({ cloud: 'aws', id: `arn:aws:s3:::${LOG_BUCKET}` });
    expect(await other.tryAcquire(key, 'other-container', new Date(), 60_000)).toBe(true);

    const { events } = await container();
    world.proxy.resetStats();
    const created = fixture('cloudtrail-s3-CreateBucket.json', { 'bucket-test-iad': BUCKET });
    const pending = deliver(events, created);
    await new Promise((r) => setTimeout(r, 1500));
    const logPolicyWrites = () =>
      writeCalls(world).filter((c) => c.operation === 'PutBucketPolicy' && c.path.includes(LOG_BUCKET));
    expect(logPolicyWrites()).toEqual([]); // waiting for the lease, not writing around it
    await other.release(key, 'other-container');
    const report = await pending;
    expect(report.outcomes.find((o) => o.rule === 'storageWithoutLogging')?.status).toBe('fixed');
    expect(logPolicyWrites()).toHaveLength(1);
    const statements = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: LOG_BUCKET }))).Policy!)
      .Statement as { Sid?: string; Principal?: unknown }[];
    expect(statements[0]).toEqual(kept);
    expect(statements.map((st) => st.Principal)).toContainEqual({ Service: 'logging.s3.amazonaws.com' });
  }, 60_000);
});
