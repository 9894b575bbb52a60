import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketAclCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import { stsAssumeRole } from '@reflex/aws';
import { MOTO_CREDENTIALS } from '@reflex/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountClients,
  fixture,
  LOG_BUCKET,
  MEMBER_ACCOUNT_ID,
  MEMBER_ROLE,
  resetWorld,
  startWorld,
  type World,
} from './world.js';

const DIST = join(import.meta.dirname, '../../../aws-lambda/dist');

/** Environment credentials of a session of `roleArn`, from moto's STS (as Lambda gives the function its role's). */
async function stsSession(roleArn: string) {
  const c = await stsAssumeRole({ endpoint: world.moto.endpoint, credentials: { ...MOTO_CREDENTIALS } })({
    roleArn,
    sessionName: 'reflex-events',
  });
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    ...(c.sessionToken ? { AWS_SESSION_TOKEN: c.sessionToken } : {}),
  };
}
let world: World;
const ROOT = join(import.meta.dirname, '../../..');

/** `npm run build` of aws-lambda, as CI runs it. */
async function buildBundles() {
  const run = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'aws-lambda/build.ts')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`build failed: ${run.stderr}`);
  // A split build ships its chunks with each entry (all of dist/chunks is deployed): they count towards its size.
  const chunks = existsSync(join(DIST, 'chunks'))
    ? readdirSync(join(DIST, 'chunks')).reduce((sum, f) => sum + statSync(join(DIST, 'chunks', f)).size, 0)
    : 0;
  return ['events.mjs', 'manual.mjs'].map((name) => ({ file: name, bytes: statSync(join(DIST, name)).size + chunks }));
}
let sizes: { file: string; bytes: number }[];

beforeAll(async () => {
  [world, sizes] = await Promise.all([startWorld(), buildBundles()]);
}, 90_000);
afterAll(async () => {
  await world?.stop();
});

/** Runs a bundle's handler in a fresh Node process, configured only through the environment, as Lambda would. */
function invoke(bundle: string, event: unknown, context: unknown = {}, env: Record<string, string> = {}) {
  const script = `const { handler } = await import(${JSON.stringify(join(DIST, bundle))});
const report = await handler(JSON.parse(process.env.EVENT), JSON.parse(process.env.CONTEXT));
process.stderr.write('REPORT' + JSON.stringify(report));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: world.moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      REFLEX_POLICY: JSON.stringify({
        version: 1,
        mode: 'enforce',
        rules: { storageWithoutLogging: { aws: { targetBucket: LOG_BUCKET } } },
      }),
      EVENT: JSON.stringify(event),
      CONTEXT: JSON.stringify(context),
      ...env,
    },
  });
  const marker = run.stderr.lastIndexOf('REPORT');
  if (run.status !== 0 || marker < 0)
    throw new Error(`bundle run failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  return { report: JSON.parse(run.stderr.slice(marker + 'REPORT'.length)), stdout: run.stdout };
}

describe('bundles', () => {
  it('are built, self-contained ESM files', () => {
    for (const name of ['events.mjs', 'manual.mjs']) expect(existsSync(join(DIST, name))).toBe(true);
    // Issue 7: at most 1 MB (1,000,000 bytes, as BENCHMARKS.md counts) each, chunks included (see aws-lambda/build.ts).
    for (const { file, bytes } of sizes) expect(bytes, file).toBeLessThanOrEqual(1_000_000);
  });

  it('events.mjs loads and fixes a public bucket on moto from a real-format event', async () => {
    await resetWorld(world);
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'bundle-bucket' }));
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
    await world.direct.s3.send(new PutBucketAclCommand({ Bucket: 'bundle-bucket', ACL: 'public-read' }));
    const { report, stdout } = invoke(
      'events.mjs',
      fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': 'bundle-bucket' }),
    );
    expect(report.outcomes.find((o: { rule?: string }) => o.rule === 'publicStorage')?.status).toBe('fixed');
    const grants = (await world.direct.s3.send(new GetBucketAclCommand({ Bucket: 'bundle-bucket' }))).Grants ?? [];
    expect(grants.some((g) => g.Grantee?.URI)).toBe(false);
    // Powertools logs the report and the audit records as structured JSON lines.
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message?: string });
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['reflex.audit', 'reflex.report']));
  });

  it('events.mjs acts in a member account through REFLEX_MEMBER_ROLE_NAME (STS loaded on demand)', async () => {
    await resetWorld(world);
    const inB = await accountClients(world, MEMBER_ACCOUNT_ID);
    const GroupId = (await inB.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'member-sg', Description: 'm' })))
      .GroupId!;
    await inB.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const event = fixture('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json', {
      '111122223333': MEMBER_ACCOUNT_ID,
      'sg-0123456789abcdef0': GroupId,
    });
    const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:reflex-events' };
    const { report } = invoke('events.mjs', event, context, { REFLEX_MEMBER_ROLE_NAME: MEMBER_ROLE });
    expect(report.outcomes.find((o: { rule?: string }) => o.rule === 'openIngress')).toMatchObject({
      status: 'fixed',
      resource: { account: MEMBER_ACCOUNT_ID },
    });
    const rules = await inB.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [GroupId] }] }),
    );
    expect(rules.SecurityGroupRules?.filter((r) => !r.IsEgress)).toEqual([]);
    // Without the variable, the same event is ignored with the reason.
    const single = invoke('events.mjs', event, context).report;
    expect(single.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/REFLEX_MEMBER/) });
  });

  it('manual.mjs rejects a bad request with a clear error and no cloud call', () => {
    const { report } = invoke('manual.mjs', { action: 'explode' });
    expect(report.errors[0].message).toMatch(/invalid manual request: action/);
  });

  it('manual.mjs contains a group and undoes it from the DynamoDB audit table, each in a fresh process', async () => {
    await resetWorld(world);
    const ddb = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: world.moto.endpoint,
      credentials: { ...MOTO_CREDENTIALS },
    });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'reflex-audit',
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
    const ec2 = world.direct.ec2;
    const GroupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'bundle-sg', Description: 'b' })))
      .GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }],
      }),
    );
    const inbound = async () =>
      (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [GroupId] }] })))
        .SecurityGroupRules!.filter((r) => !r.IsEgress)
        .map((r) => r.CidrIpv4);
    const env = { REFLEX_AUDIT_TABLE: 'reflex-audit' };
    const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:reflex-manual' };
    const contained = invoke(
      'manual.mjs',
      { action: 'contain', resource: `arn:aws:ec2:us-east-1:123456789012:security-group/${GroupId}`, reason: 'INC-12' },
      context,
      env,
    ).report;
    expect(contained.outcomes[0].status).toBe('fixed');
    expect(await inbound()).toEqual([]);
    const undone = invoke(
      'manual.mjs',
      { action: 'undo', remediationId: contained.outcomes[0].remediationId, reason: 'INC-12 closed' },
      context,
      env,
    ).report;
    expect(undone.outcomes[0].status).toBe('fixed');
    expect(await inbound()).toEqual(['192.0.2.0/24']);
  });
  it('as deployed: the events bundle learns its own role from STS (loop guard); the manual bundle answers its URL', async () => {
    await resetWorld(world);
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'own-bucket' }));
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
    await world.direct.s3.send(new PutBucketAclCommand({ Bucket: 'own-bucket', ACL: 'public-read' }));
    // Lambda's credentials are a session of the function's role; moto's STS answers who that is.
    const role = 'arn:aws:iam::123456789012:role/reflex-events-us-east-1';
    const session = await stsSession(role);
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'reflex-events', ...session };
    const event = fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', {
      'amzn-s3-demo-bucket': 'own-bucket',
    });
    const detail = event.detail as Record<string, unknown>;
    detail.userIdentity = {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/reflex-events-us-east-1/reflex-events',
      accountId: '123456789012',
      sessionContext: { sessionIssuer: { type: 'Role', arn: role, accountId: '123456789012' } },
    };
    const own = invoke('events.mjs', event, {}, lambda).report;
    expect(own.outcomes).toHaveLength(1);
    expect(own.outcomes[0].reason).toMatch(/own identity/);
    const grants = (await world.direct.s3.send(new GetBucketAclCommand({ Bucket: 'own-bucket' }))).Grants ?? [];
    expect(grants.some((g) => g.Grantee?.URI)).toBe(true);

    const responders = { REFLEX_RESPONDERS: 'arn:aws:iam::123456789012:role/reflex-responder' };
    const url = (userArn: string) => ({
      version: '2.0',
      requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn } } },
      body: JSON.stringify({ action: 'contain', resource: 'arn:aws:s3:::own-bucket', reason: 'INC-3', dryRun: false }),
    });
    const refused = invoke('manual.mjs', url('arn:aws:sts::123456789012:assumed-role/Dev/mallory'), {}, responders);
    expect(refused.report.statusCode).toBe(403);
    const direct = invoke(
      'manual.mjs',
      { action: 'contain', resource: 'arn:aws:s3:::own-bucket', reason: 'x' },
      {},
      responders,
    );
    expect(direct.report.errors[0].code).toBe('Unverified');
    const ok = invoke(
      'manual.mjs',
      url('arn:aws:sts::123456789012:assumed-role/reflex-responder/alice'),
      {},
      {
        ...responders,
        REFLEX_BREAK_GLASS_ROLE_ARNS: 'arn:aws:iam::123456789012:role/break-glass',
      },
    );
    expect(ok.report.statusCode).toBe(200);
    expect(JSON.parse(ok.report.body).outcomes[0].status).toBe('fixed');
  });
});
