import { MalformedResourceIdError } from '../errors.js';
import { armNameProblem, awsNameProblem } from './names.js';

export type Cloud = 'aws' | 'azure';

/** Resource types, named as each cloud names them (CloudFormation / Security Hub types, ARM types). */
export const ResourceTypes = {
  s3Bucket: 'AWS::S3::Bucket',
  securityGroup: 'AWS::EC2::SecurityGroup',
  ec2Instance: 'AWS::EC2::Instance',
  vpc: 'AWS::EC2::VPC',
  trail: 'AWS::CloudTrail::Trail',
  awsAccount: 'AWS::::Account',
  storageAccount: 'Microsoft.Storage/storageAccounts',
  blobContainer: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  nsg: 'Microsoft.Network/networkSecurityGroups',
  nsgRule: 'Microsoft.Network/networkSecurityGroups/securityRules',
  vnet: 'Microsoft.Network/virtualNetworks',
} as const;
export type ResourceType = string;

/** Which posture a resource type is read as; rules apply per posture kind. */
const POSTURE_KIND_OF: Record<string, 'storage' | 'firewall' | 'trail' | 'network' | 'account' | 'instance'> = {
  [ResourceTypes.s3Bucket]: 'storage',
  [ResourceTypes.storageAccount]: 'storage',
  [ResourceTypes.securityGroup]: 'firewall',
  [ResourceTypes.nsg]: 'firewall',
  [ResourceTypes.trail]: 'trail',
  [ResourceTypes.vpc]: 'network',
  [ResourceTypes.vnet]: 'network',
  [ResourceTypes.awsAccount]: 'account',
  [ResourceTypes.ec2Instance]: 'instance',
};

export function postureKindOf(type: ResourceType) {
  return POSTURE_KIND_OF[type];
}

/** Where a resource lives and what it is; `id` is its ARN or ARM id, the key for everything else. */
export interface ResourceRef {
  cloud: Cloud;
  /** AWS partition (`aws`, `aws-cn`, `aws-us-gov`) or Azure cloud environment (`AzureCloud`, ...). */
  partition: string;
  /** AWS account id or Azure subscription id. */
  account: string;
  /** AWS region or Azure location; empty when global or not known from the id. */
  region: string;
  type: ResourceType;
  id: string;
  name: string;
  /** Azure only. */
  resourceGroup?: string;
}

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

const ARN_RE =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:(.+)$/;

export function parseArn(input: string): Arn {
  const m = ARN_RE.exec(input);
  if (!m) throw new MalformedResourceIdError(input, 'expected arn:partition:service:region:account:resource');
  const [, partition, service, region, account, resource] = m;
  return { partition: partition!, service: service!, region: region!, account: account ?? '', resource: resource! };
}

export function formatArn(a: Arn): string {
  return `arn:${a.partition}:${a.service}:${a.region}:${a.account}:${a.resource}`;
}

/**
 * Turns an ARN into a ResourceRef. S3 bucket ARNs carry no account or region, so the caller may
 * supply them from the event that named the bucket.
 */
export function refFromArn(input: string, context: { account?: string; region?: string } = {}): ResourceRef {
  const a = parseArn(input);
  const base = { cloud: 'aws' as const, partition: a.partition, id: input };
  const account = a.account || context.account || '';
  const region = a.region || context.region || '';
  const check = (kind: Parameters<typeof awsNameProblem>[0], name: string) => {
    const problem = awsNameProblem(kind, name);
    if (problem) throw new MalformedResourceIdError(input, problem);
  };
  if (account) check('account', account);
  if (a.service === 's3' && !a.resource.includes('/')) {
    check('bucket', a.resource);
    return { ...base, account, region, type: ResourceTypes.s3Bucket, name: a.resource };
  }
  if (a.service === 'ec2') {
    const [kind, name] = a.resource.split('/', 2);
    const type = {
      'security-group': ResourceTypes.securityGroup,
      instance: ResourceTypes.ec2Instance,
      vpc: ResourceTypes.vpc,
    }[kind ?? ''];
    if (!type || !name)
      throw new MalformedResourceIdError(input, `unsupported EC2 resource ${JSON.stringify(a.resource)}`);
    check(kind === 'security-group' ? 'securityGroup' : kind === 'instance' ? 'instance' : 'vpc', name);
    return { ...base, account, region, type, name };
  }
  if (a.service === 'cloudtrail' && a.resource.startsWith('trail/')) {
    check('trail', a.resource.slice('trail/'.length));
    return { ...base, account, region, type: ResourceTypes.trail, name: a.resource.slice('trail/'.length) };
  }
  if (a.service === 'iam' && a.resource === 'root') {
    return { ...base, account, region, type: ResourceTypes.awsAccount, name: account };
  }
  throw new MalformedResourceIdError(input, `unsupported service/resource ${a.service}:${a.resource}`);
}

export const awsRefs = {
  bucket: (name: string, account = '', region = '', partition = 'aws'): ResourceRef =>
    refFromArn(`arn:${partition}:s3:::${name}`, { account, region }),
  securityGroup: (groupId: string, account: string, region: string, partition = 'aws'): ResourceRef =>
    refFromArn(`arn:${partition}:ec2:${region}:${account}:security-group/${groupId}`),
  instance: (instanceId: string, account: string, region: string, partition = 'aws'): ResourceRef =>
    refFromArn(`arn:${partition}:ec2:${region}:${account}:instance/${instanceId}`),
  vpc: (vpcId: string, account: string, region: string, partition = 'aws'): ResourceRef =>
    refFromArn(`arn:${partition}:ec2:${region}:${account}:vpc/${vpcId}`),
  trail: (name: string, account: string, region: string, partition = 'aws'): ResourceRef =>
    refFromArn(`arn:${partition}:cloudtrail:${region}:${account}:trail/${name}`),
  /** The account itself, for account-level settings (EBS default encryption, S3 account public access block). */
  account: (account: string, region: string, partition = 'aws'): ResourceRef => ({
    ...refFromArn(`arn:${partition}:iam::${account}:root`),
    region,
  }),
};

export interface ArmId {
  subscriptionId: string;
  resourceGroup?: string;
  /** Full type, e.g. `Microsoft.Network/networkSecurityGroups/securityRules`. */
  type: string;
  /** Name segments from the top-level resource down, e.g. ['nsg1', 'rule1']. */
  names: string[];
  /** For extension resources (diagnostic settings), the id of the resource they extend. */
  parent?: string;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses an ARM resource id; provider segments must come in type/name pairs. */
export function parseArmId(input: string): ArmId {
  const fail = (reason: string): never => {
    throw new MalformedResourceIdError(input, reason);
  };
  const parts = input.split('/');
  if (parts[0] !== '' || parts[1]?.toLowerCase() !== 'subscriptions') fail('expected /subscriptions/{id}/...');
  const subscriptionId = parts[2] ?? '';
  if (!GUID_RE.test(subscriptionId)) fail('subscription id is not a GUID');
  let i = 3;
  let resourceGroup: string | undefined;
  if (parts[i]?.toLowerCase() === 'resourcegroups') {
    resourceGroup = parts[i + 1];
    if (!resourceGroup) fail('empty resource group name');
    i += 2;
  }
  // The last `providers` segment names the resource; any earlier one belongs to the resource it extends.
  let lastProviders = parts.length - 1;
  while (lastProviders >= 0 && parts[lastProviders]!.toLowerCase() !== 'providers') lastProviders--;
  if (lastProviders < i) fail('expected /providers/{namespace}/{type}/{name}');
  const parent = lastProviders > i ? parts.slice(0, lastProviders).join('/') : undefined;
  const namespace = parts[lastProviders + 1];
  const rest = parts.slice(lastProviders + 2);
  if (!namespace?.includes('.')) fail('expected a provider namespace such as Microsoft.Storage');
  if (rest.length === 0 || rest.length % 2 !== 0) fail('provider segments must come in type/name pairs');
  if (rest.some((s) => s === '')) fail('empty segment');
  const types: string[] = [];
  const names: string[] = [];
  for (let j = 0; j < rest.length; j += 2) {
    types.push(rest[j]!);
    names.push(rest[j + 1]!);
  }
  return {
    subscriptionId,
    resourceGroup,
    type: `${namespace}/${types.join('/')}`,
    names,
    ...(parent ? { parent } : {}),
  };
}

export function formatArmId(id: ArmId): string {
  const [namespace, ...types] = id.type.split('/');
  const pairs = types.flatMap((t, j) => [t, id.names[j]]);
  const prefix =
    id.parent ?? `/subscriptions/${id.subscriptionId}${id.resourceGroup ? `/resourceGroups/${id.resourceGroup}` : ''}`;
  return `${prefix}/providers/${namespace}/${pairs.join('/')}`;
}

/** Known ARM types keep their canonical casing, since ids in events arrive in any case. */
const CANONICAL_ARM_TYPES = new Map(
  Object.values(ResourceTypes)
    .filter((t) => t.startsWith('Microsoft.'))
    .map((t) => [t.toLowerCase(), t]),
);

export function refFromArmId(input: string, context: { region?: string; partition?: string } = {}): ResourceRef {
  const id = parseArmId(input);
  const problem = armNameProblem(id.type, id.names, id.resourceGroup);
  if (problem) throw new MalformedResourceIdError(input, problem);
  return {
    cloud: 'azure',
    partition: context.partition ?? 'AzureCloud',
    account: id.subscriptionId.toLowerCase(),
    region: context.region ?? '',
    type: CANONICAL_ARM_TYPES.get(id.type.toLowerCase()) ?? id.type,
    id: input,
    name: id.names[id.names.length - 1]!,
    ...(id.resourceGroup ? { resourceGroup: id.resourceGroup } : {}),
  };
}

/** Either kind of id: ARNs start with `arn:`, ARM ids with `/subscriptions/`. */
export function parseResourceId(input: string): ResourceRef {
  if (input.startsWith('arn:')) return refFromArn(input);
  if (input.startsWith('/')) return refFromArmId(input);
  throw new MalformedResourceIdError(input, 'expected an ARN (arn:...) or an ARM id (/subscriptions/...)');
}

/** Stable key for a resource across events (ARM ids are case-insensitive). */
export function refKey(ref: ResourceRef): string {
  return ref.cloud === 'azure' ? ref.id.toLowerCase() : ref.id;
}
