/** Event to verified fix, warm, on moto: the real EventBridge handler in-process, each call timed and logged. */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { createEventsHandler } from '@reflex/aws';
import { JsonLinesTicketSink, type Report } from '@reflex/core';
import { MOTO_CREDENTIALS } from '@reflex/sim';
import {
  type AwsWorld,
  benchPolicy,
  fixture,
  LOG_BUCKET,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  quietProductionLogger,
  startAwsWorld,
} from './awsWorld.js';
import { type BareRead, bareRead, measureParallelism, type Parallelism } from './parallelism.js';
import { type Rtt, type Sample, type ScenarioResult, summarise } from './scenario.js';

const FIXTURE_BUCKET = 'amzn-s3-demo-bucket';
const FIXTURE_GROUP = 'sg-0123456789abcdef0';
const arn = (b: string) => `arn:aws:s3:::${b}`;

function httpsOnly(bucket: string) {
  return {
    Sid: 'ReflexDenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [arn(bucket), `${arn(bucket)}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

const policyDoc = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

interface AwsScenario {
  name: string;
  event: string;
  /** The rule that must come back `fixed`; every other rule must be compliant. */
  rule: string;
  kind: 'bucket' | 'group';
  /** Applied to a compliant resource: the misconfiguration the event reports. */
  misconfigure(w: AwsWorld, id: string): Promise<void>;
}

export const AWS_SCENARIOS: AwsScenario[] = [
  {
    name: 'public ACL',
    event: 'cloudtrail-s3-PutBucketAcl-canned-public-read.json',
    rule: 'publicStorage',
    kind: 'bucket',
    async misconfigure(w, b) {
      // A public ACL needs the block off first (as on AWS): the fix restores both.
      await w.setup.s3.send(new DeletePublicAccessBlockCommand({ Bucket: b }));
      await w.setup.s3.send(new PutBucketAclCommand({ Bucket: b, ACL: 'public-read' }));
    },
  },
  {
    name: 'public policy',
    event: 'cloudtrail-s3-PutBucketPolicy.json',
    rule: 'publicStorage',
    kind: 'bucket',
    async misconfigure(w, b) {
      await w.setup.s3.send(new DeletePublicAccessBlockCommand({ Bucket: b }));
      const open = {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `${arn(b)}/*`,
      };
      await w.setup.s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policyDoc([httpsOnly(b), open]) }));
    },
  },
  {
    name: 'block removed',
    event: 'cloudtrail-s3-DeleteBucketPublicAccessBlock.json',
    rule: 'publicStorage',
    kind: 'bucket',
    async misconfigure(w, b) {
      await w.setup.s3.send(new DeletePublicAccessBlockCommand({ Bucket: b }));
    },
  },
  {
    name: 'encryption removed',
    event: 'cloudtrail-s3-DeleteBucketEncryption.json',
    rule: 'unencryptedStorage',
    kind: 'bucket',
    async misconfigure(w, b) {
      await w.setup.s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    },
  },
  {
    name: 'logging off',
    event: 'cloudtrail-s3-PutBucketLogging-disable.json',
    rule: 'storageWithoutLogging',
    kind: 'bucket',
    async misconfigure(w, b) {
      await w.setup.s3.send(new PutBucketLoggingCommand({ Bucket: b, BucketLoggingStatus: {} }));
    },
  },
  {
    name: 'open group',
    event: 'cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json',
    rule: 'openIngress',
    kind: 'group',
    async misconfigure(w, g) {
      await w.setup.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: g,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
    },
  },
];

/** The log bucket, with the statement that lets S3 deliver logs (steady state: the bot added it long ago). */
async function seedLogBucket(w: AwsWorld): Promise<void> {
  await w.setup.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
  const delivery = {
    Sid: 'ReflexS3ServerAccessLogsPolicy',
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: `${arn(LOG_BUCKET)}/*`,
    Condition: { StringEquals: { 'aws:SourceAccount': MOTO_ACCOUNT_ID } },
  };
  await w.setup.s3.send(new PutBucketPolicyCommand({ Bucket: LOG_BUCKET, Policy: policyDoc([delivery]) }));
}

/** A bucket every storage rule passes: block on, private ACL, SSE-S3, logging on, HTTPS-only policy. */
async function compliantBucket(w: AwsWorld, b: string): Promise<void> {
  const s3 = w.setup.s3;
  await Promise.all([
    s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: b,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    ),
    s3.send(new PutBucketAclCommand({ Bucket: b, ACL: 'private' })),
    s3.send(
      new PutBucketEncryptionCommand({
        Bucket: b,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    ),
    s3.send(
      new PutBucketLoggingCommand({
        Bucket: b,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: `${b}/` } },
      }),
    ),
    s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policyDoc([httpsOnly(b)]) })),
  ]);
}

/** A group with one private rule (kept) and no open ones. */
async function compliantGroup(w: AwsWorld, g: string): Promise<void> {
  const rules = await w.setup.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [g] }] }),
  );
  const open = (rules.SecurityGroupRules ?? []).filter(
    (r) => !r.IsEgress && (r.CidrIpv4 === '0.0.0.0/0' || r.CidrIpv6 === '::/0'),
  );
  if (open.length > 0)
    await w.setup.ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: g,
        SecurityGroupRuleIds: open.map((r) => r.SecurityGroupRuleId!),
      }),
    );
}

function check(report: Report, rule: string): string | undefined {
  const bad = report.outcomes.filter(
    (o) => o.rule && !(o.rule === rule ? o.status === 'fixed' : o.status === 'compliant'),
  );
  if (!report.outcomes.some((o) => o.rule === rule && o.status === 'fixed'))
    return `${rule} was not fixed: ${report.outcomes.map((o) => `${o.rule ?? '-'}:${o.status} ${o.reason}`).join('; ')}`;
  if (bad.length > 0) return bad.map((o) => `${o.rule}: ${o.status} (${o.reason})`).join('; ');
  return undefined;
}

export interface WarmOptions {
  iterations: number;
  warmup: number;
  progress: (line: string) => void;
}

/** Runs every AWS scenario; moto and the proxy are stopped before it returns. */
/**
 * The backend's single-call round trip for a scenario's kind of resource, through the same client and proxy: S3 and
 * EC2 differ in moto (EC2's query protocol and larger answers cost more), so each fix is held to its own service's.
 */
function rttProbe(w: AwsWorld, kind: AwsScenario['kind'], id: string): { call: string; send: () => Promise<unknown> } {
  return kind === 'bucket'
    ? { call: 's3:GetBucketAcl', send: () => w.viaProxy.s3.send(new GetBucketAclCommand({ Bucket: LOG_BUCKET })) }
    : {
        call: 'ec2:DescribeSecurityGroups (one group)',
        send: () => w.viaProxy.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })),
      };
}

/**
 * The same read as the RTT probe, as bare HTTP through the proxy (no SDK, no signing: moto checks no signature, the
 * Authorization header only names the service and region).
 */
function bareProbe(w: AwsWorld, kind: AwsScenario['kind'], id: string): BareRead {
  const auth = (service: string) =>
    `AWS4-HMAC-SHA256 Credential=${MOTO_CREDENTIALS.accessKeyId}/20260101/${MOTO_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
  return kind === 'bucket'
    ? bareRead(`${w.proxy.endpoint}/${LOG_BUCKET}?acl`, { headers: { authorization: auth('s3') } })
    : bareRead(`${w.proxy.endpoint}/`, {
        method: 'POST',
        headers: { authorization: auth('ec2'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: `Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=${id}`,
      });
}

export async function runWarmAws(opts: WarmOptions): Promise<{ results: ScenarioResult[] }> {
  const w = await startAwsWorld();
  try {
    await seedLogBucket(w);
    const handler = createEventsHandler({
      policy: benchPolicy(),
      clients: () => w.viaProxy,
      tickets: new JsonLinesTicketSink(() => {}),
      logger: quietProductionLogger(),
      account: MOTO_ACCOUNT_ID,
    });
    const results: ScenarioResult[] = [];
    const parallelism = new Map<AwsScenario['kind'], Parallelism>();
    for (const [index, sc] of AWS_SCENARIOS.entries()) {
      let id: string;
      if (sc.kind === 'bucket') {
        id = `reflex-bench-${index}-${sc.name.toLowerCase().replace(/\W+/g, '-')}`;
        await w.setup.s3.send(new CreateBucketCommand({ Bucket: id }));
      } else {
        const made = await w.setup.ec2.send(
          new CreateSecurityGroupCommand({ GroupName: `reflex-bench-${index}`, Description: 'bench' }),
        );
        id = made.GroupId!;
        await w.setup.ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: id,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
          }),
        );
      }
      const samples: Sample[] = [];
      const probe = rttProbe(w, sc.kind, id);
      const rtt: Rtt = { call: probe.call, sdk: [], wire: [] };
      const problems = new Set<string>();
      for (let i = 0; i < opts.warmup + opts.iterations; i++) {
        if (sc.kind === 'bucket') await compliantBucket(w, id);
        else await compliantGroup(w, id);
        await sc.misconfigure(w, id);
        const event = fixture(sc.event, { [FIXTURE_BUCKET]: id, [FIXTURE_GROUP]: id });
        await w.proxy.clearCalls();
        w.log.clear();
        w.sends.clear();
        const t0 = performance.now();
        let report: Report;
        try {
          report = await handler(event);
        } catch (err) {
          problems.add(`handler threw: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        const wallMs = performance.now() - t0;
        const timed = w.log.take();
        const sends = w.sends.take();
        const backendCalls = (await w.proxy.calls()).length;
        const problem = check(report, sc.rule);
        if (problem) problems.add(problem);
        // The backend's own round trip, interleaved with the runs: one read through the same client and proxy.
        for (let k = 0; k < 2; k++) {
          const s = performance.now();
          await probe.send();
          const e = performance.now();
          const wire = w.log.take();
          if (i >= opts.warmup && wire.length === 1) {
            rtt.sdk.push(e - s);
            rtt.wire.push(wire[0]!.end - wire[0]!.start);
          }
        }
        w.sends.clear();
        if (i >= opts.warmup) samples.push({ wallMs, backendCalls, timed, sends });
      }
      const bare = parallelism.get(sc.kind) ?? (await measureParallelism(probe.call, bareProbe(w, sc.kind, id), 4, 30));
      parallelism.set(sc.kind, bare);
      const r = summarise('aws', sc.name, sc.event, samples, rtt, [...problems], bare);
      results.push(r);
      opts.progress(
        `aws  ${sc.name.padEnd(20)} p50 ${r.wallP50.toFixed(1)} ms  calls ${r.calls}  depth ${r.depth}  rtt ${r.rttMs.toFixed(2)} ms`,
      );
    }
    return { results };
  } finally {
    await w.stop();
  }
}
