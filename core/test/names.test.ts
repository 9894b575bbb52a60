import { describe, expect, it } from 'vitest';
import {
  bounded,
  boundedDeep,
  errorMessage,
  MalformedResourceIdError,
  parseManualRequest,
  refFromArmId,
  refFromArn,
} from '../src/index.js';

const SUB = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups';
const arm = (rg: string, rest: string) => `${SUB}/${rg}/providers/${rest}`;

describe('provider naming rules, before any call (issue 18, item 12)', () => {
  it.each([
    ['a storage account in upper case', arm('rg', 'Microsoft.Storage/storageAccounts/StAccount'), /3-24 of a-z 0-9/],
    ['a 25-character storage account', arm('rg', `Microsoft.Storage/storageAccounts/${'a'.repeat(25)}`), /3-24/],
    [
      'a container with a double hyphen',
      arm('rg', 'Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/a--b'),
      /containers name/,
    ],
    ['an 81-character NSG', arm('rg', `Microsoft.Network/networkSecurityGroups/${'n'.repeat(81)}`), /1-80/],
    [
      'an NSG ending with a dot',
      arm('rg', 'Microsoft.Network/networkSecurityGroups/nsg.'),
      /networkSecurityGroups name/,
    ],
    [
      'a rule with a space',
      arm('rg', 'Microsoft.Network/networkSecurityGroups/nsg/securityRules/allow web'),
      /securityRules name/,
    ],
    [
      'a resource group ending with a dot',
      arm('rg.', 'Microsoft.Network/networkSecurityGroups/nsg'),
      /resource group name/,
    ],
    ['a 91-character resource group', arm('r'.repeat(91), 'Microsoft.Network/networkSecurityGroups/nsg'), /1-90/],
    ['a control character in any name', arm('rg', 'Microsoft.Web/sites/a\u0000b'), /control characters/],
  ])('Azure: %s is a typed error', (_what, id, message) => {
    expect(() => refFromArmId(id)).toThrow(MalformedResourceIdError);
    expect(() => refFromArmId(id)).toThrow(message);
  });

  it('Azure: names that providers issue pass', () => {
    for (const id of [
      arm('rg-web_(prod).1', 'Microsoft.Storage/storageAccounts/st0123456789abcdefghijklm'.slice(0, 100)),
      arm('rg', 'Microsoft.Network/networkSecurityGroups/nsg-web_01/securityRules/Allow_HTTPS.443'),
      arm('rg', 'Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/logs-2026'),
      arm('rg', 'Microsoft.Network/virtualNetworks/vnet-hub'),
    ])
      expect(() => refFromArmId(id.replace('st0123456789abcdefghijklm', 'st0123456789abcdefghijk'))).not.toThrow();
  });

  it.each([
    ['an upper-case bucket', 'arn:aws:s3:::MyBucket', /bucket name/],
    ['a bucket like an IP address', 'arn:aws:s3:::192.168.5.4', /not an IP address/],
    ['a bucket with two dots', 'arn:aws:s3:::my..bucket', /bucket name/],
    ['a 1 MB bucket', `arn:aws:s3:::${'b'.repeat(1_000_000)}`, /bucket name/],
    [
      'a security group of 7 digits',
      'arn:aws:ec2:us-east-1:123456789012:security-group/sg-1234567',
      /security group id/,
    ],
    ['a trail with two dashes', 'arn:aws:cloudtrail:us-east-1:123456789012:trail/my--trail', /trail name/],
    ['an 11-digit account', 'arn:aws:ec2:us-east-1:12345678901:security-group/sg-12345678', /malformed resource id/],
  ])('AWS: %s is a typed error', (_what, arn, message) => {
    expect(() => refFromArn(arn)).toThrow(MalformedResourceIdError);
    expect(() => refFromArn(arn)).toThrow(message);
  });

  it('the error about a 1 MB name is short; a manual request refuses a 1 MB resource before parsing it', () => {
    const err = (() => {
      try {
        refFromArn(`arn:aws:s3:::${'b'.repeat(1_000_000)}`);
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(err.message.length).toBeLessThan(500);
    expect(() =>
      parseManualRequest({ action: 'remediate', resource: `arn:aws:s3:::${'b'.repeat(1_000_000)}` }),
    ).toThrow(/at most 2048 characters/);
  });
});

describe('the one bound on logged text', () => {
  it('cuts long strings saying how much was left out, everywhere in a log entry, and error messages', () => {
    expect(bounded('x'.repeat(10), 4)).toBe('xxxx… (6 more characters)');
    const entry = boundedDeep({ reason: 'r'.repeat(1_000_000), list: [{ name: 'n'.repeat(5000) }], n: 1 });
    expect(JSON.stringify(entry).length).toBeLessThan(5_000);
    expect(entry.n).toBe(1);
    expect(errorMessage(new Error('e'.repeat(1_000_000))).length).toBeLessThan(2_100);
    expect(errorMessage(JSON.parse('{"toString": 1}'))).toBe('[object Object]');
  });
});
