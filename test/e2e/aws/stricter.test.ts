import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixture, handlers, LOG_BUCKET, policy, resetWorld, startWorld, type World } from './world.js';

/** A fix never lowers a setting that is already stricter than the policy asks (issue 18, item 8). */
const BUCKET = 'reflex-stricter-bucket';
const ARN = `arn:aws:s3:::${BUCKET}`;
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_KEY = 'arn:aws:kms:us-east-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab';
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
const event = (name: string) => fixture(name, { 'amzn-s3-demo-bucket': BUCKET, 'bucket-test-iad': BUCKET });

describe('fixes on moto never lower a stricter setting', () => {
  it('dual-layer KMS (DSSE) with another key: the key is corrected, DSSE stays (no bucket key: DSSE has none)', async () => {
    await s3().send(
      new PutBucketEncryptionCommand({
        Bucket: BUCKET,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: OTHER_KEY } }],
        },
      }),
    );
    const { events } = handlers(
      world,
      policy({ rules: { unencryptedStorage: { aws: { algorithm: 'aws:kms', kmsKeyId: KEY } } } }),
    );
    const report = await events(event('cloudtrail-s3-PutBucketEncryption.json'));
    expect(report.outcomes.find((o) => o.rule === 'unencryptedStorage')?.status).toBe('fixed');
    const rule = (await s3().send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))).ServerSideEncryptionConfiguration
      ?.Rules?.[0];
    expect(rule?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: KEY });
    expect(rule?.BucketKeyEnabled ?? false).toBe(false);
  });

  it('SSE-KMS under a policy asking SSE-S3: compliant, nothing written', async () => {
    await s3().send(
      new PutBucketEncryptionCommand({
        Bucket: BUCKET,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: OTHER_KEY } }],
        },
      }),
    );
    const { events } = handlers(world, policy());
    const report = await events(event('cloudtrail-s3-PutBucketEncryption.json'));
    expect(report.outcomes.find((o) => o.rule === 'unencryptedStorage')?.status).toBe('compliant');
    const sse = (await s3().send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))).ServerSideEncryptionConfiguration
      ?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    expect(sse).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: OTHER_KEY });
  });

  it('a policy already requiring TLS 1.3 (s3:TlsVersion) keeps that statement when HTTPS-only is added', async () => {
    // An HTTP request has no s3:TlsVersion, and NumericLessThan on an absent key does not match: this Deny alone
    // does not refuse plain HTTP, so the HTTPS-only statement is still added, beside it, never instead of it.
    const tls13 = {
      Sid: 'RequireTls13',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [ARN, `${ARN}/*`],
      Condition: { NumericLessThan: { 's3:TlsVersion': '1.3' } },
    };
    await s3().send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [tls13] }),
      }),
    );
    const { events } = handlers(world, policy());
    const report = await events(event('cloudtrail-s3-CreateBucket.json'));
    expect(report.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('fixed');
    const doc = JSON.parse((await s3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}');
    expect(doc.Statement).toEqual([tls13, expect.objectContaining({ Sid: 'ReflexDenyInsecureTransport' })]);
  });
});
