/**
 * Provider naming rules, checked before a name reaches any SDK or log: a name no provider could have issued is bad
 * input (a typed MalformedResourceIdError), not a call that fails somewhere in a cloud's gateway. Sources: Azure
 * "Naming rules and restrictions for Azure resources" (Microsoft Learn); AWS: the S3 bucket naming rules, and the
 * EC2 / CloudTrail id formats. Segments of ARM types not listed keep ARM's general bound (1-260 characters, no
 * control characters).
 */

/** One rule: a pattern and, for the error message, what it asks for. */
interface NameRule {
  pattern: RegExp;
  says: string;
}

const W = 'A-Z a-z 0-9 _ . -';
const ENDS = 'alphanumeric first';

/** NSGs, rules, watchers, flow logs: 1-80 alphanumerics, `_`, `.`, `-`; starts alphanumeric; ends alphanumeric or `_`. */
const NETWORK_1_80: NameRule = {
  pattern: /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/,
  says: `1-80 of ${W}, ${ENDS}`,
};

/** Name rules by ARM type segment (lower case): the last name of an id of that type must match. */
const AZURE: Record<string, NameRule> = {
  'microsoft.storage/storageaccounts': { pattern: /^[a-z0-9]{3,24}$/, says: '3-24 of a-z 0-9' },
  'microsoft.storage/storageaccounts/blobservices': { pattern: /^default$/, says: '"default"' },
  'microsoft.storage/storageaccounts/blobservices/containers': {
    pattern: /^(?=.{3,63}$)[a-z0-9](?:-?[a-z0-9])*$/,
    says: '3-63 of a-z 0-9 -',
  },
  'microsoft.network/networksecuritygroups': NETWORK_1_80,
  'microsoft.network/networksecuritygroups/securityrules': NETWORK_1_80,
  'microsoft.network/networkwatchers': NETWORK_1_80,
  'microsoft.network/networkwatchers/flowlogs': NETWORK_1_80,
  // Azure documents 2-64; one character is let through (names Reflex only reads never reach a write).
  'microsoft.network/virtualnetworks': {
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$/,
    says: `1-64 of ${W}, ${ENDS}`,
  },
  'microsoft.insights/diagnosticsettings': {
    pattern: /^[^*<>%{}&:\\?+/#|\p{Cc}]{1,260}$/u,
    says: '1-260 characters, none of *<>%{}&:\\?+/#|',
  },
  'microsoft.resources/tags': { pattern: /^default$/, says: '"default"' },
};
const ARM_ANY: NameRule = { pattern: /^[^\p{Cc}]{1,260}$/u, says: '1-260 characters, no control characters' };
const RESOURCE_GROUP: NameRule = {
  pattern: /^[-\w.()\p{L}\p{N}]{0,89}[-\w()\p{L}\p{N}]$/u,
  says: '1-90 of letters, digits, _ ( ) - .',
};

/** What is wrong with the names of an ARM id, or undefined. Each segment is checked against its own type. */
export function armNameProblem(type: string, names: readonly string[], resourceGroup?: string): string | undefined {
  if (resourceGroup !== undefined && !RESOURCE_GROUP.pattern.test(resourceGroup))
    return `resource group name: expected ${RESOURCE_GROUP.says}`;
  const [namespace, ...types] = type.split('/');
  for (let i = 0; i < names.length; i++) {
    const segmentType = [namespace, ...types.slice(0, i + 1)].join('/').toLowerCase();
    const rule = AZURE[segmentType] ?? ARM_ANY;
    if (!rule.pattern.test(names[i]!)) return `${types[i] ?? 'resource'} name: expected ${rule.says}`;
  }
  return undefined;
}

/** EC2 ids: a prefix and 8 to 17 lowercase hex digits (letters and digits for ids Reflex only reads). */
const ec2Id = (prefix: string, id: string, chars = '0-9a-f'): NameRule => ({
  pattern: new RegExp(`^${prefix}-[${chars}]{8,17}$`),
  says: `a ${id}: ${prefix}- and 8-17 of ${chars}`,
});

export const AWS_NAME_RULES = {
  /** General purpose buckets: 3-63 lowercase letters, digits, `.` and `-`, starting and ending alphanumeric. */
  bucket: {
    pattern: /^(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    says: 'a bucket name: 3-63 of a-z 0-9 . -, not an IP address',
  },
  securityGroup: ec2Id('sg', 'security group id'),
  instance: ec2Id('i', 'instance id', '0-9a-z'),
  vpc: ec2Id('vpc', 'VPC id', '0-9a-z'),
  /** Trails: 3-128 letters, digits, `.`, `_`, `-`; alphanumeric at both ends; no two separators in a row. */
  trail: {
    pattern: /^(?=.{3,128}$)[A-Za-z0-9](?:[._-]?[A-Za-z0-9])*$/,
    says: 'a trail name: 3-128 of A-Z a-z 0-9 . _ -',
  },
  account: { pattern: /^\d{12}$/, says: 'an account id: 12 digits' },
} satisfies Record<string, NameRule>;

/** What is wrong with an AWS name of this kind, or undefined. */
export function awsNameProblem(kind: keyof typeof AWS_NAME_RULES, name: string): string | undefined {
  const rule = AWS_NAME_RULES[kind];
  return rule.pattern.test(name) ? undefined : `expected ${rule.says}`;
}
