import { describe, expect, it } from 'vitest';
import { isPublicStatement, type PolicyStatement } from '../src/index.js';

const allow = (extra: Partial<PolicyStatement>): PolicyStatement => ({
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::b/*',
  ...extra,
});

describe('bucket-policy publicness', () => {
  it.each<[string, PolicyStatement, boolean]>([
    ['Principal "*"', allow({}), true],
    ['Principal {"AWS":"*"}', allow({ Principal: { AWS: '*' } }), true],
    ['Principal {"AWS":["*", account]}', allow({ Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] } }), true],
    ['a named account', allow({ Principal: { AWS: 'arn:aws:iam::111122223333:root' } }), false],
    ['a service principal', allow({ Principal: { Service: 'logging.s3.amazonaws.com' } }), false],
    ['Deny to everyone', { ...allow({}), Effect: 'Deny' }, false],
    [
      'Allow with NotPrincipal',
      allow({ Principal: undefined, NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } }),
      true,
    ],
    ['aws:SourceVpce', allow({ Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } }), false],
    ['aws:SourceVpc', allow({ Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-111bbb22' } } }), false],
    ['aws:PrincipalOrgID', allow({ Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-xxxxxxxxxx' } } }), false],
    ['aws:SourceAccount', allow({ Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } }), false],
    ['aws:PrincipalAccount', allow({ Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } }), false],
    [
      'aws:SourceArn',
      allow({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } } }),
      false,
    ],
    ['key in another case', allow({ Condition: { StringEquals: { 'AWS:SOURCEVPCE': 'vpce-1' } } }), false],
    [
      'ForAnyValue: prefix',
      allow({ Condition: { 'ForAnyValue:StringEquals': { 'aws:PrincipalOrgID': ['o-1'] } } }),
      false,
    ],
    [
      'private aws:SourceIp',
      allow({ Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/16', '192.0.2.10/32'] } } }),
      false,
    ],
    ['aws:SourceIp 0.0.0.0/0', allow({ Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } }), true],
    [
      'aws:SourceIp wider than /8',
      allow({ Condition: { IpAddress: { 'aws:SourceIp': ['0.0.0.0/1', '128.0.0.0/1'] } } }),
      true,
    ],
    ['NotIpAddress', allow({ Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } }), true],
    ['a wildcard value', allow({ Condition: { StringLike: { 'aws:PrincipalOrgID': 'o-*' } } }), true],
    [
      'a policy variable',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, written as IAM writes it
      allow({ Condition: { StringEquals: { 'aws:SourceAccount': '${aws:PrincipalAccount}' } } }),
      true,
    ],
    ['an IfExists operator', allow({ Condition: { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1' } } }), true],
    ['a negated operator', allow({ Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } } }), true],
    ['a condition on a non-restricting key', allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }), true],
    ['an empty value list', allow({ Condition: { StringEquals: { 'aws:SourceVpce': [] } } }), true],
  ])('%s → public=%s', (_name, statement, expected) => {
    expect(isPublicStatement(statement)).toBe(expected);
  });
});
