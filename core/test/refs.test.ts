import { describe, expect, it } from 'vitest';
import {
  formatArmId,
  MalformedResourceIdError,
  parseArmId,
  parseResourceId,
  refFromArmId,
  refFromArn,
} from '../src/index.js';

describe('ARNs', () => {
  it('parses a bucket ARN, taking account and region from context', () => {
    const ref = refFromArn('arn:aws:s3:::my-bucket', { account: '123456789012', region: 'eu-west-1' });
    expect(ref).toMatchObject({
      cloud: 'aws',
      partition: 'aws',
      account: '123456789012',
      region: 'eu-west-1',
      type: 'AWS::S3::Bucket',
      name: 'my-bucket',
    });
  });

  it('parses a security group ARN in another partition', () => {
    const ref = refFromArn('arn:aws-us-gov:ec2:us-gov-west-1:123456789012:security-group/sg-0123456789abcdef0');
    expect(ref).toMatchObject({
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
      type: 'AWS::EC2::SecurityGroup',
      name: 'sg-0123456789abcdef0',
    });
  });

  it.each([
    ['not-an-arn', /expected arn/],
    ['arn:aws:s3:::Bad_Bucket', /bucket name/],
    ['arn:aws:ec2:us-east-1:123456789012:security-group/xyz', /security group id/],
    ['arn:aws:ec2:us-east-1:123456789012:volume/vol-1', /unsupported EC2/],
    ['arn:aws:lambda:us-east-1:123456789012:function:f', /unsupported service/],
    ['arn:aws:ec2:us-east-1:12345:security-group/sg-01234567', /expected arn/],
  ])('rejects %s with a typed error', (input, message) => {
    expect(() => refFromArn(input)).toThrow(MalformedResourceIdError);
    expect(() => refFromArn(input)).toThrow(message);
  });
});

describe('ARM ids', () => {
  const nsgRule =
    '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/ssh';

  it('parses a child resource id and prints it back', () => {
    const id = parseArmId(nsgRule);
    expect(id).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000001',
      resourceGroup: 'rg1',
      type: 'Microsoft.Network/networkSecurityGroups/securityRules',
      names: ['nsg1', 'ssh'],
    });
    expect(formatArmId(id)).toBe(nsgRule);
  });

  it('parses an extension resource, keeping the resource it extends', () => {
    const parent =
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1';
    const id = parseArmId(`${parent}/providers/Microsoft.Insights/diagnosticSettings/reflex`);
    expect(id).toMatchObject({ type: 'Microsoft.Insights/diagnosticSettings', names: ['reflex'], parent });
  });

  it('takes the last providers segment in any casing as the resource, the rest as what it extends', () => {
    const parent =
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/PROVIDERS/Microsoft.Storage/storageAccounts/sa1';
    const id = parseArmId(`${parent}/blobServices/default/Providers/Microsoft.Insights/diagnosticSettings/reflex`);
    expect(id).toMatchObject({ type: 'Microsoft.Insights/diagnosticSettings', names: ['reflex'] });
    expect(id.parent).toBe(`${parent}/blobServices/default`);
    expect(() => parseArmId('/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1')).toThrow(
      /expected \/providers/,
    );
  });

  it('canonicalises known types whatever the casing of the event', () => {
    const ref = refFromArmId(
      '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000001/resourcegroups/RG1/providers/microsoft.storage/storageaccounts/sa1',
    );
    expect(ref).toMatchObject({
      cloud: 'azure',
      type: 'Microsoft.Storage/storageAccounts',
      name: 'sa1',
      resourceGroup: 'RG1',
    });
  });

  it.each([
    ['/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa', /GUID/],
    ['/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg', /providers/],
    [
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts',
      /pairs/,
    ],
    ['subscriptions/x', /subscriptions/],
  ])('rejects %s', (input, message) => {
    expect(() => parseArmId(input)).toThrow(message);
  });

  it('tells ARNs from ARM ids', () => {
    expect(parseResourceId('arn:aws:s3:::b-1').cloud).toBe('aws');
    expect(() => parseResourceId('sg-123')).toThrow(/expected an ARN/);
  });
});
