import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeClaims,
  grantsFromRequest,
  ingressFromConfigItem,
  ingressFromRequest,
  parseEvent,
} from '../src/events/index.js';

const DIR = join(import.meta.dirname, '../../test/fixtures/events/aws');
const load = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Record<string, unknown>;
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('parseEvent over every AWS fixture', () => {
  it.each(files)('%s is handled or ignored with a reason, and never throws', (name) => {
    const parsed = parseEvent(load(name));
    if (parsed.kind === 'targets') expect(parsed.targets.length + parsed.lookups.length).toBeGreaterThan(0);
    if (parsed.kind === 'ignored') expect(parsed.reason).toMatch(/\w/);
    if (parsed.kind === 'malformed') expect(parsed.problem).toMatch(/\w/);
    if (name.startsWith('ignore-')) expect(['ignored', 'malformed']).toContain(parsed.kind);
  });

  it('an event with errorCode is ignored with the code in the reason', () => {
    const parsed = parseEvent(load('cloudtrail-s3-PutBucketAcl-errorCode-AccessDenied.json'));
    expect(parsed).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/AccessDenied.*nothing changed/) });
  });

  it('CloudTrail targets name the rules their call can affect; a new bucket has every rule judged', () => {
    const rulesOf = (name: string) => {
      const parsed = parseEvent(load(name));
      if (parsed.kind !== 'targets') throw new Error(`${name}: ${parsed.kind}`);
      return parsed.targets[0]!.rules;
    };
    expect(rulesOf('cloudtrail-s3-DeleteBucketEncryption.json')).toEqual(['unencryptedStorage']);
    expect(rulesOf('cloudtrail-s3-PutBucketLogging-disable.json')).toEqual(['storageWithoutLogging']);
    expect(rulesOf('cloudtrail-s3-PutBucketAcl-canned-public-read.json')).toEqual(['publicStorage']);
    expect(rulesOf('cloudtrail-s3-PutBucketPolicy.json')).toEqual(['publicStorage', 'insecureTransport']);
    expect(rulesOf('cloudtrail-s3-DeleteBucketPublicAccessBlock.json')).toEqual(['publicStorage']);
    expect(rulesOf('cloudtrail-s3control-DeleteAccountPublicAccessBlock.json')).toEqual([
      'accountPublicAccessUnblocked',
    ]);
    expect(rulesOf('cloudtrail-ec2-DisableEbsEncryptionByDefault.json')).toEqual(['ebsEncryptionByDefaultOff']);
    expect(rulesOf('cloudtrail-s3-CreateBucket.json')).toBeUndefined();
    expect(rulesOf('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json')).toBeUndefined();
  });

  it('the groupName-only call becomes a lookup by name', () => {
    const parsed = parseEvent(load('cloudtrail-ec2-AuthorizeSecurityGroupIngress-groupName-only.json'));
    expect(parsed).toMatchObject({
      kind: 'targets',
      targets: [],
      lookups: [{ kind: 'security-group-by-name', groupName: 'default' }],
    });
  });

  it('CloudTrail targets carry the actor and its session issuer for the loop guard', () => {
    const parsed = parseEvent(load('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json'));
    if (parsed.kind !== 'targets') throw new Error(parsed.kind);
    expect(parsed.targets[0]!.ref.id).toBe('arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0');
    expect(parsed.targets[0]!.trigger.actorIds).toContain('arn:aws:sts::111122223333:assumed-role/Admin/alice');
  });

  it('a scrubbed empty bucket name is malformed, not a crash', () => {
    expect(parseEvent(load('cloudtrail-s3-PutBucketAcl-single-grant.json'))).toMatchObject({
      kind: 'malformed',
      problem: expect.stringMatching(/bucketName/),
    });
  });

  it('Security Hub: several findings, only FAILED + ACTIVE ones, S3.1 → the account', () => {
    const parsed = parseEvent(load('securityhub-imported-s3-1-and-s3-2-per-standard.json'));
    if (parsed.kind !== 'targets') throw new Error(parsed.kind);
    expect(parsed.targets.map((t) => t.ref.type)).toEqual(['AWS::::Account']);
    expect(parsed.skipped[0]?.reason).toMatch(/PASSED/);
    const consolidated = parseEvent(load('securityhub-imported-consolidated-s3.json'));
    if (consolidated.kind !== 'targets') throw new Error(consolidated.kind);
    expect(consolidated.targets.map((t) => t.ref.name)).toEqual(['111122223333', 'amzn-s3-demo-bucket']);
  });

  it('Config: NON_COMPLIANT on a prefixed managed rule name is a target; COMPLIANT is ignored', () => {
    const event = load('config-compliance-change-restricted-ssh.json');
    (event.detail as Record<string, unknown>).configRuleName = 'securityhub-restricted-ssh-a1b2c3';
    expect(parseEvent(event)).toMatchObject({ kind: 'targets', targets: [{ ref: { name: 'sg-0123456789abcdef0' } }] });
    expect(parseEvent(load('config-compliance-change-cloudtrail-enabled-compliant.json'))).toMatchObject({
      kind: 'ignored',
    });
  });

  it('unknown and malformed input names the problem', () => {
    expect(parseEvent(null)).toMatchObject({ kind: 'malformed', problem: expect.stringMatching(/not a JSON object/) });
    expect(parseEvent({ id: 'x', source: 'aws.s3' })).toMatchObject({
      kind: 'malformed',
      problem: expect.stringMatching(/missing/),
    });
    const weird = {
      id: 'x',
      source: 'acme.thing',
      'detail-type': 'Thing',
      account: '123456789012',
      region: 'us-east-1',
      detail: {},
    };
    expect(parseEvent(weird)).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/not handled/) });
  });
});

describe('shapes real events use', () => {
  it('ACL Grant: one object vs an array, and canned ACLs', () => {
    const single = (load('cloudtrail-s3-PutBucketAcl-single-grant.json').detail as Record<string, unknown>)
      .requestParameters;
    expect(grantsFromRequest(single)).toEqual([
      { granteeType: 'CanonicalUser', grantee: expect.stringMatching(/Example$/), permission: 'FULL_CONTROL' },
    ]);
    const array = (load('cloudtrail-s3-PutBucketAcl-grants-array-public.json').detail as Record<string, unknown>)
      .requestParameters;
    expect(grantsFromRequest(array).map((g) => g.permission)).toEqual(['FULL_CONTROL', 'READ', 'WRITE']);
    expect(grantsFromRequest({ 'x-amz-acl': ['public-read-write'] })).toHaveLength(2);
  });

  it('console ipPermissions.items[] vs the CLI flat cidrIp', () => {
    const console_ = (
      load('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json').detail as Record<string, unknown>
    ).requestParameters;
    expect(describeClaims(ingressFromRequest(console_))).toEqual(['opens tcp 22 to 0.0.0.0/0']);
    const flat = (
      load('cloudtrail-ec2-AuthorizeSecurityGroupIngress-cli-flat-cidrIp.json').detail as Record<string, unknown>
    ).requestParameters;
    expect(describeClaims(ingressFromRequest(flat))).toEqual(['opens tcp 3389 to 0.0.0.0/0']);
  });

  it('Config ipRanges as plain strings, and scrubbed x.x.x.x/0 is the world', () => {
    const item = (
      (load('config-ci-change-security-group.json').detail as Record<string, unknown>).configurationItem as Record<
        string,
        unknown
      >
    ).configuration;
    const rules = ingressFromConfigItem(item);
    expect(rules.map((r) => r.sources.map((s) => s.value))).toEqual([['0.0.0.0/0'], ['::/0']]);
    const scrubbed = ingressFromConfigItem({
      ipPermissions: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: ['x.x.x.x/0'] }],
    });
    expect(describeClaims(scrubbed)).toEqual(['opens tcp 22 to x.x.x.x/0']);
  });
});

describe('tag writes (issue 18, item 11)', () => {
  // Constructed from the documented CloudTrail record of each call (no published sample carries these calls).
  const envelope = (source: string, eventName: string, requestParameters: Record<string, unknown>) => ({
    version: '0',
    id: 'evt-tags',
    'detail-type': 'AWS API Call via CloudTrail',
    source,
    account: '111122223333',
    region: 'us-east-1',
    time: '2026-11-24T12:00:00Z',
    detail: {
      eventSource: source === 'aws.s3' ? 's3.amazonaws.com' : 'ec2.amazonaws.com',
      eventName,
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/mallory', accountId: '111122223333' },
      requestParameters,
    },
  });

  it('PutBucketTagging: every rule judged, the keys it wrote on the trigger', () => {
    const parsed = parseEvent(
      envelope('aws.s3', 'PutBucketTagging', {
        bucketName: 'bucket-one',
        Tagging: {
          TagSet: {
            Tag: [
              { Key: 'reflex:exempt', Value: 'publicStorage; reason=x; until=2026-12-01' },
              { Key: 'team', Value: 'web' },
            ],
          },
        },
      }),
    );
    expect(parsed).toMatchObject({
      kind: 'targets',
      targets: [
        {
          ref: { id: 'arn:aws:s3:::bucket-one' },
          trigger: { tagsWritten: ['reflex:exempt', 'team'], actor: 'arn:aws:iam::111122223333:user/mallory' },
        },
      ],
    });
    expect(parsed.kind === 'targets' && parsed.targets[0]!.rules).toBeUndefined();
  });

  it('CreateTags: the security groups it tags are judged, other resources are not', () => {
    const parsed = parseEvent(
      envelope('aws.ec2', 'CreateTags', {
        resourcesSet: { items: [{ resourceId: 'sg-0123456789abcdef0' }, { resourceId: 'i-0123456789abcdef0' }] },
        tagSet: { items: [{ key: 'reflex:exempt', value: 'openIngress; reason=x; until=2026-12-01' }] },
      }),
    );
    expect(parsed).toMatchObject({
      kind: 'targets',
      targets: [{ ref: { type: 'AWS::EC2::SecurityGroup' }, trigger: { tagsWritten: ['reflex:exempt'] } }],
    });
    expect(parsed.kind === 'targets' && parsed.targets).toHaveLength(1);
    const instance = parseEvent(
      envelope('aws.ec2', 'CreateTags', { resourcesSet: { items: [{ resourceId: 'i-0123456789abcdef0' }] } }),
    );
    expect(instance.kind).toBe('ignored');
  });
});
