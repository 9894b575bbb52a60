import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  PutBucketAclCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import type { AwsClients } from '@reflex/aws';
import { awsRefs, type ResourceRef } from '@reflex/core';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from '@reflex/sim';

export const AWS_ACCOUNT = MOTO_ACCOUNT_ID;
export const AWS_REGION = MOTO_REGION;
/** The bot's role: its own changes come back as events, and the loop guard ignores them. */
export const BOT_ROLE = `arn:aws:iam::${AWS_ACCOUNT}:role/reflex-bot`;
export const LOG_BUCKET = 'reflex-demo-access-logs';

/** The real event fixtures (documentation samples and captures), unchanged on disk. */
const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/events/aws');

export interface AwsEstate {
  publicRead: ResourceRef;
  publicPolicy: ResourceRef;
  unencrypted: ResourceRef;
  webGroup: ResourceRef;
  instance: ResourceRef;
  /** EventBridge events, as CloudTrail would have delivered them for the seeding calls. */
  events: Record<string, unknown>[];
}

/**
 * A fixture event with its documentation ids rewritten in memory to the local estate's (account, bucket, group),
 * and a fresh event id.
 */
export function fixtureEvent(name: string, replace: Record<string, string>): Record<string, unknown> {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [from, to] of Object.entries({ '111122223333': AWS_ACCOUNT, ...replace }))
    text = text.split(from).join(to);
  const event = JSON.parse(text) as Record<string, unknown>;
  event['id'] = `${String(event['id'])}-${Math.random().toString(36).slice(2, 8)}`;
  return event;
}

const bucketEvent = (name: string, bucket: string) => fixtureEvent(name, { 'amzn-s3-demo-bucket': bucket });

/** The misconfigured AWS estate, made by "a person" (straight to moto, not through Reflex). */
export async function seedAws(c: AwsClients): Promise<AwsEstate> {
  const names = { publicRead: 'demo-public-read', publicPolicy: 'demo-public-policy', unencrypted: 'demo-unencrypted' };
  // S3 and EC2 in parallel: moto's first EC2 call loads its EC2 backend, which takes a moment.
  const buckets = async () => {
    await Promise.all(
      [LOG_BUCKET, ...Object.values(names)].map((Bucket) => c.s3.send(new CreateBucketCommand({ Bucket }))),
    );
    await Promise.all([
      c.s3.send(new PutBucketAclCommand({ Bucket: names.publicRead, ACL: 'public-read' })),
      c.s3.send(
        new PutBucketPolicyCommand({
          Bucket: names.publicPolicy,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'PublicRead',
                Effect: 'Allow',
                Principal: '*',
                Action: 's3:GetObject',
                Resource: `arn:aws:s3:::${names.publicPolicy}/*`,
              },
            ],
          }),
        }),
      ),
      c.s3.send(new DeleteBucketEncryptionCommand({ Bucket: names.unencrypted })),
      c.s3.send(new PutBucketLoggingCommand({ Bucket: names.unencrypted, BucketLoggingStatus: {} })),
    ]);
  };
  const network = async () => {
    const groupId = (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'demo-web', Description: 'web' })))
      .GroupId!;
    await c.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
          { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        ],
      }),
    );
    const run = await c.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b', // one of moto's stock images
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SecurityGroupIds: [groupId],
      }),
    );
    return { groupId, instanceId: run.Instances![0]!.InstanceId! };
  };
  const [, { groupId, instanceId }] = await Promise.all([buckets(), network()]);

  return {
    publicRead: awsRefs.bucket(names.publicRead, AWS_ACCOUNT, AWS_REGION),
    publicPolicy: awsRefs.bucket(names.publicPolicy, AWS_ACCOUNT, AWS_REGION),
    unencrypted: awsRefs.bucket(names.unencrypted, AWS_ACCOUNT, AWS_REGION),
    webGroup: awsRefs.securityGroup(groupId, AWS_ACCOUNT, AWS_REGION),
    instance: awsRefs.instance(instanceId, AWS_ACCOUNT, AWS_REGION),
    // CloudTrail records the creation of each bucket, then the change that misconfigured it.
    events: [
      ...Object.values(names).map((bucket) =>
        fixtureEvent('cloudtrail-s3-CreateBucket.json', { 'bucket-test-iad': bucket }),
      ),
      bucketEvent('cloudtrail-s3-PutBucketAcl-canned-public-read.json', names.publicRead),
      bucketEvent('cloudtrail-s3-PutBucketPolicy.json', names.publicPolicy),
      bucketEvent('cloudtrail-s3-DeleteBucketEncryption.json', names.unencrypted),
      bucketEvent('cloudtrail-s3-PutBucketLogging-disable.json', names.unencrypted),
      fixtureEvent('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json', {
        'sg-0123456789abcdef0': groupId,
      }),
    ],
  };
}
