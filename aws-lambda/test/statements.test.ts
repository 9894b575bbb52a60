import type { PolicyStatement } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import { requiresSecureTransport, secureTransportStatement } from '../src/s3/statements.js';

const ARN = 'arn:aws:s3:::b';
const deny = (extra: Partial<PolicyStatement>): PolicyStatement => ({ ...secureTransportStatement(ARN), ...extra });

describe('requiresSecureTransport: only a Deny that refuses every plain-HTTP request counts', () => {
  it.each<[string, Partial<PolicyStatement>, boolean]>([
    ["Reflex's own statement", {}, true],
    ['Principal {"AWS":"*"}, Action "*"', { Principal: { AWS: '*' }, Action: '*' }, true],
    [
      'BoolIfExists (the key is in every request)',
      { Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } } },
      true,
    ],
    ['Resource "*"', { Resource: '*' }, true],
    ['Resource arn:aws:s3:::b* (both)', { Resource: 'arn:aws:s3:::b*' }, true],
    [
      'narrowed by aws:SourceVpce (ANDed)',
      { Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringEquals: { 'aws:SourceVpce': 'vpce-1' } } },
      false,
    ],
    [
      'a second key under Bool',
      { Condition: { Bool: { 'aws:SecureTransport': 'false', 'aws:MultiFactorAuthPresent': 'false' } } },
      false,
    ],
    ['objects only', { Resource: `${ARN}/*` }, false],
    ['another bucket', { Resource: ['arn:aws:s3:::other', 'arn:aws:s3:::other/*'] }, false],
    ['s3:GetObject only', { Action: 's3:GetObject' }, false],
    [
      'NotPrincipal (someone may use HTTP)',
      { Principal: undefined, NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } },
      false,
    ],
    [
      's3:TlsVersion only (HTTP has no TLS version)',
      { Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
      false,
    ],
    ['SecureTransport true (denies HTTPS)', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }, false],
    ['no condition: denies everything, not a transport rule', { Condition: undefined }, false],
    ['a malformed condition', { Condition: { Bool: 'aws:SecureTransport' } as never }, false],
  ])('%s → %s', (_name, extra, expected) => {
    expect(requiresSecureTransport({ Statement: [deny(extra)] }, ARN)).toBe(expected);
  });
});
