import { CreateBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixture, handlers, LOG_BUCKET, policy, resetWorld, startWorld, type World } from './world.js';

/** Bucket-policy statements judged by what their conditions do to a request from anyone (issue 18, item 10). */
const BUCKET = 'reflex-statements-bucket';
const ARN = `arn:aws:s3:::${BUCKET}`;
const VPCE = 'vpce-1a2b3c4d';
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
const put = (Statement: unknown[]) =>
  s3().send(
    new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }),
  );
const sids = async () =>
  (
    JSON.parse((await s3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}') as {
      Statement: { Sid: string }[];
    }
  ).Statement.map((s) => s.Sid);
const event = () => fixture('cloudtrail-s3-PutBucketPolicy.json', { 'amzn-s3-demo-bucket': BUCKET });

describe('bucket-policy statements on moto', () => {
  it('NotPrincipal pinned to a VPC endpoint stays; ForAllValues on aws:SourceVpce (vacuous without the key) goes', async () => {
    await put([
      {
        Sid: 'NotPrincipalVpce',
        Effect: 'Allow',
        NotPrincipal: { AWS: 'arn:aws:iam::123456789012:user/blocked' },
        Action: 's3:GetObject',
        Resource: `${ARN}/*`,
        Condition: { StringEquals: { 'aws:SourceVpce': VPCE } },
      },
      {
        Sid: 'ForAllValuesVpce',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `${ARN}/*`,
        Condition: { 'ForAllValues:StringEquals': { 'aws:SourceVpce': [VPCE] } },
      },
      {
        Sid: 'HttpsOnlyFromEndpoint',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [ARN, `${ARN}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringEquals: { 'aws:SourceVpce': VPCE } },
      },
    ]);
    const { events } = handlers(world, policy());
    const report = await events(event());
    expect(report.outcomes.find((o) => o.rule === 'publicStorage')?.status).toBe('fixed');
    // The Deny refuses HTTP only through one endpoint: HTTPS-only is added beside it.
    expect(report.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('fixed');
    expect(await sids()).toEqual(['NotPrincipalVpce', 'HttpsOnlyFromEndpoint', 'ReflexDenyInsecureTransport']);
  });
});
