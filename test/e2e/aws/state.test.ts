import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DynamoDbAuditStore,
  DynamoDbBlastRadiusStore,
  DynamoDbEventLedger,
  DynamoDbLeaseStore,
  resolveSecretReferences,
} from '@reflex/aws';
import { type AuditRecord, awsRefs, signWebhook } from '@reflex/core';
import { MOTO_CREDENTIALS } from '@reflex/sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  awsOptions,
  fixture,
  handlers,
  LOG_BUCKET,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
} from './world.js';

const AUDIT = 'reflex-audit';
const STATE = 'reflex-state';
let world: World;
let ddb: DynamoDBClient;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  world = await startWorld();
  const direct = { region: 'us-east-1', endpoint: world.moto.endpoint, credentials: { ...MOTO_CREDENTIALS } };
  ddb = new DynamoDBClient(direct);
  secrets = new SecretsManagerClient(direct);
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
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
});

const store = (tableName: string) => ({ ...awsOptions(world), tableName, region: 'us-east-1' });
const record = (remediationId: string, stepId: string, at: string, status: AuditRecord['status']): AuditRecord => ({
  remediationId,
  stepId,
  at,
  resource: awsRefs.bucket('b-1', MOTO_ACCOUNT_ID, 'us-east-1'),
  rule: 'publicStorage',
  fix: { type: 'remove-public-grants', grants: [] },
  mode: 'enforce',
  status,
  before: { grants: ['x'] },
  after: { grants: [] },
  correlation: { eventId: 'e-1', source: 'cloudtrail', requestIds: ['r-1'] },
});

describe('DynamoDB state on moto', () => {
  it('audit store: records come back by remediation, in the order written, whole', async () => {
    const audit = new DynamoDbAuditStore(store(AUDIT));
    const a1 = record('rem-a', 'rem-a.1', '2026-01-01T00:00:00.000Z', 'applied');
    const a2 = record('rem-a', 'rem-a.2', '2026-01-01T00:00:00.000Z', 'applied');
    const b1 = record('rem-b', 'rem-b.1', '2026-01-01T00:00:01.000Z', 'applied');
    const a1undone = record('rem-a', 'rem-a.1', '2026-01-02T00:00:00.000Z', 'undone');
    for (const r of [a1, b1, a2, a1undone]) await audit.record(r);
    expect(await audit.byRemediation('rem-a')).toEqual([a1, a2, a1undone]);
    expect(await audit.byRemediation('rem-none')).toEqual([]);
  });

  // The store's guarantee under concurrency is DynamoDB's: one conditional UpdateItem per acquisition. moto does not
  // make its condition check and write atomic across threads, so concurrency here would test moto, not Reflex.
  it('blast radius: a conditional counter per scope and window; past the limit nothing passes', async () => {
    const blast = new DynamoDbBlastRadiusStore(store(STATE));
    const hour = 3_600_000;
    const t0 = new Date(Math.floor(Date.UTC(2026, 0, 1, 12) / hour) * hour + 60_000);
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await blast.tryAcquire('aws:1', t0, hour, 5));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(await blast.tryAcquire('aws:2', t0, hour, 5)).toEqual({ allowed: true, count: 1 }); // other scope
    // Next window, 30 min in: half of the previous window's 5 still counts (floor 2.5 = 2), so 3 more pass.
    const t1 = new Date(t0.getTime() + hour + 29 * 60_000);
    const next = [];
    for (let i = 0; i < 4; i++) next.push(await blast.tryAcquire('aws:1', t1, hour, 5));
    expect(next.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(next[3]?.count).toBe(5);
    const items = (await ddb.send(new ScanCommand({ TableName: STATE }))).Items ?? [];
    expect(items.every((i) => Number(i.expiresAt?.N) > t0.getTime() / 1000)).toBe(true);
  });

  it('event ledger: claim-first; handled events remembered with a TTL, expired entries claimable again', async () => {
    const ledger = new DynamoDbEventLedger(store(STATE), 60_000);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(await ledger.claim('evt-1', now)).toBe('claimed');
    // A concurrent duplicate (another container) finds the claim.
    expect(await new DynamoDbEventLedger(store(STATE), 60_000).claim('evt-1', now)).toBe('in-progress');
    await ledger.remember('evt-1', now);
    expect(await ledger.claim('evt-1', new Date(now.getTime() + 30_000))).toBe('handled');
    const item = await ddb.send(new GetItemCommand({ TableName: STATE, Key: { pk: { S: 'event#evt-1' } } }));
    expect(item.Item?.expiresAt?.N).toBe(String(now.getTime() / 1000 + 60));
    expect(await ledger.claim('evt-1', new Date(now.getTime() + 61_000))).toBe('claimed');
    // A claim released after a transient failure is free for the retry.
    expect(await ledger.claim('evt-2', now)).toBe('claimed');
    await ledger.release('evt-2');
    expect(await ledger.claim('evt-2', now)).toBe('claimed');
    // A released claim of a handled event changes nothing.
    await ledger.release('evt-1');
    await ledger.remember('evt-1', now);
    await ledger.release('evt-1');
    expect(await ledger.claim('evt-1', new Date(now.getTime() + 1000))).toBe('handled');
  });

  it('leases: one holder at a time; expired or released leases can be taken; only the holder renews', async () => {
    const a = new DynamoDbLeaseStore(store(STATE));
    const b = new DynamoDbLeaseStore(store(STATE));
    const now = new Date('2026-01-01T00:00:00Z');
    expect(await a.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'ta', now, 10_000)).toBe(true);
    expect(await b.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'tb', now, 10_000)).toBe(false);
    expect(await b.tryAcquire('resource#aws#arn:aws:s3:::b-2', 'tb', now, 10_000)).toBe(true);
    expect(await a.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'ta', now, 10_000)).toBe(true); // already ours
    expect(await b.renew('resource#aws#arn:aws:s3:::b-1', 'tb', now, 10_000)).toBe(false);
    expect(await a.renew('resource#aws#arn:aws:s3:::b-1', 'ta', new Date(now.getTime() + 5000), 10_000)).toBe(true);
    // Renewed to +15 s: still held at +12 s, free at +15 s.
    expect(await b.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'tb', new Date(now.getTime() + 12_000), 10_000)).toBe(
      false,
    );
    expect(await b.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'tb', new Date(now.getTime() + 15_000), 10_000)).toBe(
      true,
    );
    // The old holder can neither renew nor release the new holder's lease.
    await a.release('resource#aws#arn:aws:s3:::b-1', 'ta');
    expect(await a.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'ta', new Date(now.getTime() + 16_000), 10_000)).toBe(
      false,
    );
    await b.release('resource#aws#arn:aws:s3:::b-1', 'tb');
    expect(await a.tryAcquire('resource#aws#arn:aws:s3:::b-1', 'ta', new Date(now.getTime() + 16_000), 10_000)).toBe(
      true,
    );
  });

  it('the handlers use the tables from REFLEX_AUDIT_TABLE / REFLEX_STATE_TABLE: contain, then undo from DynamoDB', async () => {
    const ec2 = world.direct.ec2;
    const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app-sg', Description: 'app' })))
      .GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    );
    const env = { REFLEX_AUDIT_TABLE: AUDIT, REFLEX_STATE_TABLE: STATE };
    // Two separate bots: the undo one shares nothing with the contain one but the table.
    const first = handlers(world, policy(), { env, awsOptions: awsOptions(world), audit: undefined });
    const contained = await first.manual({
      action: 'contain',
      resource: `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT_ID}:security-group/${groupId}`,
      reason: 'INC-11',
      requestedBy: 'dave',
    });
    expect(contained.outcomes[0]?.status).toBe('fixed');
    const id = contained.outcomes[0]!.remediationId!;
    const stored = (await ddb.send(new ScanCommand({ TableName: AUDIT }))).Items ?? [];
    expect(stored.map((i) => [i.remediationId?.S, i.status?.S])).toEqual([[id, 'applied']]);

    const second = handlers(world, policy(), { env, awsOptions: awsOptions(world), audit: undefined });
    const undone = await second.manual({ action: 'undo', remediationId: id, reason: 'INC-11 closed' });
    expect(undone.outcomes[0]?.status).toBe('fixed');
    const rules = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect(rules.SecurityGroupRules?.filter((r) => !r.IsEgress).map((r) => r.CidrIpv4)).toEqual(['10.0.0.0/8']);

    // The events handler remembers handled events in the state table.
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'ledger-bucket' }));
    await world.direct.s3.send(new PutBucketAclCommand({ Bucket: 'ledger-bucket', ACL: 'public-read' }));
    const event = fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', {
      'amzn-s3-demo-bucket': 'ledger-bucket',
    });
    expect((await second.events(event)).outcomes.some((o) => o.status === 'fixed')).toBe(true);
    const replay = await first.events(event);
    expect(replay.outcomes.every((o) => o.status === 'ignored' && /already handled/.test(o.reason))).toBe(true);
  });
});

describe('secrets from Secrets Manager on moto', () => {
  it('resolves secretsmanager: references (whole secret, JSON key, by ARN) and names what failed', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'reflex/jira-token', SecretString: 'jira-s3cret' }));
    const json = await secrets.send(
      new CreateSecretCommand({ Name: 'reflex/tickets', SecretString: JSON.stringify({ webhook: 'hmac-key', n: 7 }) }),
    );
    const out = await resolveSecretReferences(
      {
        REFLEX_JIRA_TOKEN: 'secretsmanager:reflex/jira-token',
        REFLEX_WEBHOOK_SECRET: `secretsmanager:${json.ARN}#webhook`,
        REFLEX_N: 'secretsmanager:reflex/tickets#n',
        PLAIN: 'as-is',
        REFLEX_MISSING: 'secretsmanager:reflex/nope',
        REFLEX_BAD_KEY: 'secretsmanager:reflex/tickets#absent',
      },
      awsOptions(world),
    );
    expect(out.env).toEqual({
      REFLEX_JIRA_TOKEN: 'jira-s3cret',
      REFLEX_WEBHOOK_SECRET: 'hmac-key',
      REFLEX_N: '7',
      PLAIN: 'as-is',
    });
    expect(out.resolved).toEqual(['REFLEX_JIRA_TOKEN', 'REFLEX_N', 'REFLEX_WEBHOOK_SECRET']);
    expect(out.problems.sort()).toEqual([
      expect.stringMatching(
        /^REFLEX_BAD_KEY: could not resolve secretsmanager:reflex\/tickets: the secret has no key "absent"$/,
      ),
      expect.stringMatching(/^REFLEX_MISSING: could not resolve secretsmanager:reflex\/nope: /),
    ]);
    expect(out.problems.join()).not.toContain('hmac-key');
  });

  it('the handler builds its ticket sinks from the policy with secrets resolved at cold start', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'reflex/webhook', SecretString: '{"key":"whsec-123"}' }));
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'ticket-bucket' }));
      const p = policy({ mode: 'dry-run', tickets: { webhook: { url, resolve: 'never' } } });
      const { events } = handlers(world, p, {
        tickets: undefined,
        env: { REFLEX_WEBHOOK_SECRET: 'secretsmanager:reflex/webhook#key' },
        awsOptions: awsOptions(world),
      });
      const report = await events(
        fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': 'ticket-bucket' }),
      );
      expect(report.outcomes.filter((o) => o.status === 'ticketed').length).toBeGreaterThan(0);
      expect(received.length).toBe(report.outcomes.filter((o) => o.status === 'ticketed').length);
      const first = received[0]!;
      const ts = String(first.headers['x-reflex-timestamp']);
      expect(first.headers['x-reflex-signature']).toBe(signWebhook('whsec-123', ts, first.body));
    } finally {
      server.close();
    }
  });
});
