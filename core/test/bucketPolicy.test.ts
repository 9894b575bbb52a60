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

/**
 * Condition operators against AWS's documented semantics (IAM User Guide: "IAM JSON policy elements: Condition
 * operators"; "Single-valued vs. multivalued context keys"). A statement is public when some request from anyone
 * satisfies its condition; `absent` is what the operator answers for a request without the key, which is every
 * request from the internet for aws:SourceVpce.
 */
describe('condition operators (issue 18, item 10)', () => {
  const VPCE = 'vpce-1a2b3c4d';
  type Row = [
    operator: string,
    key: string,
    value: unknown,
    extra: Record<string, unknown>,
    absent: string,
    pub: boolean,
  ];
  it.each<Row>([
    ['StringEquals', 'aws:SourceVpce', VPCE, {}, 'false', false],
    ['ForAnyValue:StringEquals', 'aws:SourceVpce', [VPCE], {}, 'false (no value matches)', false],
    ['ForAllValues:StringEquals', 'aws:SourceVpce', [VPCE], {}, 'true (vacuous)', true],
    [
      'ForAllValues:StringEquals',
      'aws:SourceVpce',
      [VPCE],
      { Null: { 'aws:SourceVpce': 'false' } },
      'false (Null)',
      false,
    ],
    ['StringEqualsIfExists', 'aws:SourceVpce', VPCE, {}, 'true', true],
    ['StringEqualsIfExists', 'aws:SourceVpce', VPCE, { Null: { 'aws:SourceVpce': 'false' } }, 'false (Null)', false],
    ['ForAllValues:StringLikeIfExists', 'aws:PrincipalOrgID', 'o-1', {}, 'true', true],
    ['StringNotEquals', 'aws:SourceVpce', VPCE, {}, 'true (negated)', true],
    ['StringNotEqualsIgnoreCase', 'aws:PrincipalOrgID', 'o-1', {}, 'true (negated)', true],
    ['ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::111122223333:role/x', {}, 'true (negated)', true],
    ['ArnNotEquals', 'aws:SourceArn', 'arn:aws:cloudfront::111122223333:distribution/E1', {}, 'true', true],
    ['ArnEquals', 'aws:SourceArn', 'arn:aws:cloudfront::111122223333:distribution/E1', {}, 'false', false],
    ['ForAnyValue:ArnLike', 'aws:PrincipalArn', ['arn:aws:iam::111122223333:role/x'], {}, 'false', false],
    ['NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', {}, 'true (negated)', true],
    ['IpAddressIfExists', 'aws:SourceIp', '203.0.113.0/24', {}, 'true', true],
    ['IpAddress', 'aws:SourceIp', '203.0.113.0/24', {}, 'false', false],
    ['Null', 'aws:SourceVpce', 'false', {}, 'false, but any VPC endpoint of any account passes', true],
    ['Null', 'aws:SourceVpce', 'true', {}, 'true: only requests from outside endpoints', true],
    ['Bool', 'aws:SecureTransport', 'true', {}, 'n/a: says nothing about who asks', true],
    ['BoolIfExists', 'aws:SecureTransport', 'false', {}, 'n/a', true],
    [
      'StringEquals',
      'aws:SourceVpce',
      'vpce-*',
      {},
      'false; a wildcard value is not judged fixed (conservative)',
      true,
    ],
  ])('%s on %s = %j (with %j): absent key → %s; public=%s', (operator, key, value, extra, _absent, pub) => {
    expect(isPublicStatement(allow({ Condition: { [operator]: { [key]: value }, ...extra } as never }))).toBe(pub);
  });

  it('NotPrincipal is everyone not named: public unless pinned by a condition', () => {
    const notMe = { AWS: 'arn:aws:iam::111122223333:root' };
    expect(isPublicStatement(allow({ Principal: undefined, NotPrincipal: notMe }))).toBe(true);
    const vpce = { StringEquals: { 'aws:SourceVpce': VPCE } };
    expect(isPublicStatement(allow({ Principal: undefined, NotPrincipal: notMe, Condition: vpce }))).toBe(false);
    const vacuous = { 'ForAllValues:StringEquals': { 'aws:SourceVpce': [VPCE] } };
    expect(isPublicStatement(allow({ Principal: undefined, NotPrincipal: notMe, Condition: vacuous }))).toBe(true);
  });

  it('a malformed condition block (attacker-written) pins nothing and does not throw', () => {
    for (const Condition of ['StringEquals', { StringEquals: 'aws:SourceVpce' }, { StringEquals: null }, [1, 2]])
      expect(isPublicStatement(allow({ Condition: Condition as never }))).toBe(true);
  });
});
