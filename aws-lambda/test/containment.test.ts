import { describe, expect, it } from 'vitest';
import { ruleKey } from '../src/ec2/securityGroup.js';
import { lockdownExceptions } from '../src/handlers/manual.js';
import { canonical, exceptPrincipalPatterns, policyDifference, samePolicy } from '../src/s3/containment.js';
import { parseSecretReference } from '../src/secrets.js';

describe('lock-down exceptions', () => {
  it('keep role and user ARNs; an assumed-role session becomes its role, with and without a path', () => {
    expect(
      exceptPrincipalPatterns([
        'arn:aws:iam::123456789012:role/reflex-bot',
        'arn:aws:sts::123456789012:assumed-role/break-glass/alice',
        'arn:aws:iam::123456789012:role/reflex-bot',
        'not-an-arn',
      ]),
    ).toEqual([
      'arn:aws:iam::123456789012:role/*/break-glass',
      'arn:aws:iam::123456789012:role/break-glass',
      'arn:aws:iam::123456789012:role/reflex-bot',
    ]);
  });

  it('come from the policy identities and REFLEX_BREAK_GLASS_ROLE_ARNS', () => {
    expect(
      lockdownExceptions(['arn:aws:iam::1:role/bot'], {
        REFLEX_BREAK_GLASS_ROLE_ARNS: 'arn:aws:iam::1:role/bg1, arn:aws:iam::1:role/bg2 junk',
      }),
    ).toEqual(['arn:aws:iam::1:role/bot', 'arn:aws:iam::1:role/bg1', 'arn:aws:iam::1:role/bg2']);
  });
});

describe('policy comparison for undo', () => {
  const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const a = { Sid: 'A', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };
  it('ignores key order and whitespace', () => {
    expect(canonical({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(samePolicy(doc([a]), JSON.stringify(JSON.parse(doc([a])), null, 2))).toBe(true);
  });
  it('names the statements that changed', () => {
    const b = { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b' };
    expect(policyDifference('s3://b', doc([a, b]), doc([a]))).toEqual([
      's3://b: the bucket policy changed since Reflex wrote it (statements added or changed: #2 (Deny))',
    ]);
    expect(policyDifference('s3://b', null, doc([a]))).toEqual([
      's3://b: the bucket policy was deleted; Reflex left one',
    ]);
    expect(policyDifference('s3://b', doc([a]), doc([a]))).toEqual([]);
  });
});

describe('secret references', () => {
  it('parse secretsmanager:<id>[#key]; anything else is a plain value', () => {
    expect(parseSecretReference('secretsmanager:reflex/jira')).toEqual({ secretId: 'reflex/jira' });
    expect(parseSecretReference('secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:t-AbC#token')).toEqual({
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:t-AbC',
      jsonKey: 'token',
    });
    expect(parseSecretReference('plain-token')).toBeUndefined();
    expect(parseSecretReference('secretsmanager:')).toBeUndefined();
    expect(parseSecretReference(undefined)).toBeUndefined();
  });
});

describe('ingress rule identity', () => {
  it('is protocol, ports and source, without id or description', () => {
    const rule = {
      id: 'sgr-1',
      direction: 'inbound' as const,
      access: 'allow' as const,
      protocol: 'tcp',
      ports: [{ from: 22, to: 22 }],
      sources: [{ kind: 'cidr' as const, value: '0.0.0.0/0' }],
      description: 'x',
    };
    expect(ruleKey(rule)).toBe('tcp 22-22 from cidr:0.0.0.0/0');
    expect(ruleKey({ ...rule, id: 'sgr-2', description: 'y' })).toBe(ruleKey(rule));
  });
});
