/**
 * The one source of truth for what the AWS bot may do: per SDK command the adapter can send, the IAM actions
 * it needs, on what, and which part of the bot sends it. `infra/aws` builds the Lambda roles from this list for
 * the rules a policy enables; `test/permissions.test.ts` fails when the adapter sends a command that is not
 * declared here, or when a declaration is sent by nothing.
 *
 * Adding a command: add one entry with the client package, the command name without `Command`, the exact IAM
 * actions (the Service Authorization Reference names them; they often differ from the API name), the resource
 * scope, and its uses. No `*` in actions, ever.
 */
import type { Mode, RuleName } from '@reflex/core';

/**
 * The `@aws-sdk/*` package a command class comes from (same command names exist in several: S3 vs S3 Control).
 * A client of `@aws-sdk/nested-clients/<service>` counts as `client-<service>`: the same API.
 */
export type AwsSdkPackage =
  | 'client-s3'
  | 'client-s3-control'
  | 'client-ec2'
  | 'client-cloudtrail'
  | 'client-dynamodb'
  | 'lib-dynamodb'
  | 'client-secrets-manager'
  | 'client-sts';

/**
 * What an action may be granted on. The deployer turns each into ARNs (`any` is `*`, for actions that support no
 * resource-level permission; the others are resource-type patterns scoped to the account and partition).
 */
export type AwsResourceScope =
  | 'any'
  | 's3-bucket'
  | 'ec2-security-group'
  | 'ec2-security-group-rule'
  | 'ec2-vpc'
  | 'ec2-vpc-flow-log'
  | 'ec2-instance'
  | 'ec2-network-interface'
  | 'ec2-volume'
  | 'ec2-snapshot'
  | 'cloudtrail-trail'
  | 'flow-logs-delivery-role'
  | 'state-table'
  | 'ticket-secret'
  | 'member-account-role';

/** What the bot reads and fixes, by the kind of resource a rule looks at. */
export type AwsResourceKind = 'bucket' | 'security-group' | 'trail' | 'vpc' | 'account';

/** A fix type as the AWS adapter applies it (block-public-access splits by scope: different APIs). */
export type AwsFixKey =
  | 'block-public-access:bucket'
  | 'block-public-access:account'
  | 'remove-public-grants'
  | 'remove-public-statements'
  | 'require-secure-transport'
  | 'enable-encryption'
  | 'enable-logging'
  | 'revoke-ingress'
  | 'start-trail-logging'
  | 'enable-flow-logs'
  | 'enable-ebs-default-encryption';

/** Who sends a command. */
export type AwsUse =
  /** Reading the posture of a resource (every rule on that kind needs all of it: the reader reads in parallel). */
  | { read: AwsResourceKind }
  /** Listing resources: sweeps, and events that name resources indirectly (a group by name, "all trails"). */
  | { list: AwsResourceKind }
  /** Applying (and verifying) one fix. */
  | { fix: AwsFixKey }
  /** The manual handler's own actions. */
  | { manual: 'contain' | 'undo' }
  /** The DynamoDB state / audit table. */
  | { store: 'state' | 'audit' }
  /** Ticket secrets resolved from Secrets Manager. */
  | { secret: 'tickets' }
  /** Reaching member accounts of an organisation. */
  | { assume: 'member-account' }
  /** The bot learning its own role (the loop guard), at cold start. */
  | { self: 'identity' };

/** A grant that only applies to some deployments. */
export type AwsGrantCondition = 'flow-logs-to-s3' | 'flow-logs-to-cloudwatch';

export interface AwsGrant {
  actions: readonly string[];
  on: AwsResourceScope;
  when?: AwsGrantCondition;
}

export interface AwsCommandPermission {
  sdk: AwsSdkPackage;
  /** The command class name without the `Command` suffix (`GetBucketAcl` for `GetBucketAclCommand`). */
  command: string;
  grants: readonly AwsGrant[];
  uses: readonly AwsUse[];
  /**
   * Declared ahead of the code that will send it (the reason says which work): never granted, and the test
   * fails once the command is really sent, so that the marker is removed and the grant follows.
   */
  planned?: string;
}

const g = (on: AwsResourceScope, ...actions: string[]): AwsGrant => ({ actions, on });
const read = (kind: AwsResourceKind): AwsUse => ({ read: kind });
const list = (kind: AwsResourceKind): AwsUse => ({ list: kind });
const fix = (key: AwsFixKey): AwsUse => ({ fix: key });
const CONTAIN: AwsUse = { manual: 'contain' };
const UNDO: AwsUse = { manual: 'undo' };
const POLICY_WRITES: AwsUse[] = [fix('remove-public-statements'), fix('require-secure-transport'), CONTAIN, UNDO];

export const AWS_PERMISSIONS: readonly AwsCommandPermission[] = [
  // S3: bucket posture (s3/posture.ts)
  {
    sdk: 'client-s3',
    command: 'GetPublicAccessBlock',
    grants: [g('s3-bucket', 's3:GetBucketPublicAccessBlock')],
    uses: [read('bucket')],
  },
  { sdk: 'client-s3', command: 'GetBucketAcl', grants: [g('s3-bucket', 's3:GetBucketAcl')], uses: [read('bucket')] },
  {
    sdk: 'client-s3',
    command: 'GetBucketPolicy',
    grants: [g('s3-bucket', 's3:GetBucketPolicy')],
    // The policy fixers re-read the policy under a lock; logging reads the target bucket's policy.
    uses: [read('bucket'), ...POLICY_WRITES, fix('enable-logging')],
  },
  {
    sdk: 'client-s3',
    command: 'GetBucketEncryption',
    grants: [g('s3-bucket', 's3:GetEncryptionConfiguration')],
    uses: [read('bucket')],
  },
  {
    sdk: 'client-s3',
    command: 'GetBucketLogging',
    grants: [g('s3-bucket', 's3:GetBucketLogging')],
    uses: [read('bucket')],
  },
  {
    sdk: 'client-s3',
    command: 'GetBucketTagging',
    grants: [g('s3-bucket', 's3:GetBucketTagging')],
    uses: [read('bucket')],
  },
  {
    sdk: 'client-s3',
    command: 'GetBucketOwnershipControls',
    grants: [g('s3-bucket', 's3:GetBucketOwnershipControls')],
    uses: [read('bucket')],
  },
  // S3: bucket fixes (s3/fixes.ts)
  {
    sdk: 'client-s3',
    command: 'PutPublicAccessBlock',
    grants: [g('s3-bucket', 's3:PutBucketPublicAccessBlock')],
    uses: [fix('block-public-access:bucket'), CONTAIN, UNDO],
  },
  {
    sdk: 'client-s3',
    command: 'PutBucketAcl',
    grants: [g('s3-bucket', 's3:PutBucketAcl')],
    uses: [fix('remove-public-grants'), UNDO],
  },
  {
    sdk: 'client-s3',
    command: 'PutBucketPolicy',
    grants: [g('s3-bucket', 's3:PutBucketPolicy')],
    // enable-logging grants log delivery in the *target* bucket's policy.
    uses: [...POLICY_WRITES, fix('enable-logging')],
  },
  {
    sdk: 'client-s3',
    command: 'DeleteBucketPolicy',
    grants: [g('s3-bucket', 's3:DeleteBucketPolicy')],
    uses: POLICY_WRITES,
  },
  // Undo and containment put back what was there: removing a block or encryption is a Put in IAM terms.
  {
    sdk: 'client-s3',
    command: 'DeletePublicAccessBlock',
    grants: [g('s3-bucket', 's3:PutBucketPublicAccessBlock')],
    uses: [CONTAIN, UNDO],
  },
  {
    sdk: 'client-s3',
    command: 'DeleteBucketEncryption',
    grants: [g('s3-bucket', 's3:PutEncryptionConfiguration')],
    uses: [UNDO],
  },
  {
    sdk: 'client-s3',
    command: 'PutBucketEncryption',
    grants: [g('s3-bucket', 's3:PutEncryptionConfiguration')],
    uses: [fix('enable-encryption'), UNDO],
  },
  {
    sdk: 'client-s3',
    command: 'PutBucketLogging',
    grants: [g('s3-bucket', 's3:PutBucketLogging')],
    uses: [fix('enable-logging'), UNDO],
  },
  // S3: listing (sweep.ts)
  { sdk: 'client-s3', command: 'ListBuckets', grants: [g('any', 's3:ListAllMyBuckets')], uses: [list('bucket')] },

  // S3 Control: the account's Block Public Access (account/account.ts)
  {
    sdk: 'client-s3-control',
    command: 'GetPublicAccessBlock',
    grants: [g('any', 's3:GetAccountPublicAccessBlock')],
    uses: [read('account')],
  },
  {
    sdk: 'client-s3-control',
    command: 'PutPublicAccessBlock',
    grants: [g('any', 's3:PutAccountPublicAccessBlock')],
    uses: [fix('block-public-access:account'), UNDO],
  },

  {
    sdk: 'client-s3-control',
    command: 'DeletePublicAccessBlock',
    grants: [g('any', 's3:PutAccountPublicAccessBlock')],
    uses: [UNDO],
  },

  // EC2: security groups (ec2/securityGroup.ts, sweep.ts)
  {
    sdk: 'client-ec2',
    command: 'DescribeSecurityGroups',
    grants: [g('any', 'ec2:DescribeSecurityGroups')],
    uses: [read('security-group'), list('security-group'), CONTAIN],
  },
  {
    sdk: 'client-ec2',
    command: 'DescribeSecurityGroupRules',
    grants: [g('any', 'ec2:DescribeSecurityGroupRules')],
    // Rule ids: to narrow a rule in place, to contain a group, and for undo (reads judge DescribeSecurityGroups).
    uses: [fix('revoke-ingress'), CONTAIN, UNDO],
  },
  {
    sdk: 'client-ec2',
    command: 'RevokeSecurityGroupIngress',
    // Fixes name permissions; containment and undo name SecurityGroupRuleIds, where IAM evaluates each rule too.
    grants: [
      g('ec2-security-group', 'ec2:RevokeSecurityGroupIngress'),
      g('ec2-security-group-rule', 'ec2:RevokeSecurityGroupIngress'),
    ],
    uses: [fix('revoke-ingress'), CONTAIN, UNDO],
  },
  {
    sdk: 'client-ec2',
    command: 'ModifySecurityGroupRules',
    grants: [
      g('ec2-security-group', 'ec2:ModifySecurityGroupRules'),
      g('ec2-security-group-rule', 'ec2:ModifySecurityGroupRules'),
    ],
    uses: [fix('revoke-ingress'), UNDO],
  },
  {
    sdk: 'client-ec2',
    command: 'AuthorizeSecurityGroupIngress',
    // Narrowing an open rule to the allow-listed ports adds those rules back.
    grants: [
      g('ec2-security-group', 'ec2:AuthorizeSecurityGroupIngress'),
      g('ec2-security-group-rule', 'ec2:AuthorizeSecurityGroupIngress'),
    ],
    uses: [fix('revoke-ingress'), UNDO],
  },

  // EC2: instance containment (ec2/instance.ts): a quarantine group on every interface, tags, a forensic snapshot.
  {
    sdk: 'client-ec2',
    command: 'DescribeInstances',
    grants: [g('any', 'ec2:DescribeInstances')],
    uses: [CONTAIN, UNDO],
  },
  {
    sdk: 'client-ec2',
    command: 'CreateSecurityGroup',
    // Created with TagSpecifications: tagging on create is authorised as ec2:CreateTags on the new group.
    grants: [
      g('ec2-security-group', 'ec2:CreateSecurityGroup', 'ec2:CreateTags'),
      g('ec2-vpc', 'ec2:CreateSecurityGroup'),
    ],
    uses: [CONTAIN],
  },
  {
    sdk: 'client-ec2',
    command: 'RevokeSecurityGroupEgress',
    grants: [
      g('ec2-security-group', 'ec2:RevokeSecurityGroupEgress'),
      g('ec2-security-group-rule', 'ec2:RevokeSecurityGroupEgress'),
    ],
    uses: [CONTAIN],
  },
  {
    sdk: 'client-ec2',
    command: 'ModifyNetworkInterfaceAttribute',
    grants: [
      g('ec2-network-interface', 'ec2:ModifyNetworkInterfaceAttribute'),
      g('ec2-security-group', 'ec2:ModifyNetworkInterfaceAttribute'),
      g('ec2-instance', 'ec2:ModifyNetworkInterfaceAttribute'),
      g('ec2-vpc', 'ec2:ModifyNetworkInterfaceAttribute'),
    ],
    uses: [CONTAIN, UNDO],
  },
  {
    sdk: 'client-ec2',
    command: 'ModifyInstanceAttribute',
    grants: [g('ec2-instance', 'ec2:ModifyInstanceAttribute'), g('ec2-security-group', 'ec2:ModifyInstanceAttribute')],
    uses: [CONTAIN, UNDO],
  },
  { sdk: 'client-ec2', command: 'CreateTags', grants: [g('ec2-instance', 'ec2:CreateTags')], uses: [CONTAIN, UNDO] },
  { sdk: 'client-ec2', command: 'DeleteTags', grants: [g('ec2-instance', 'ec2:DeleteTags')], uses: [UNDO] },
  {
    sdk: 'client-ec2',
    command: 'CreateSnapshot',
    grants: [g('ec2-volume', 'ec2:CreateSnapshot'), g('ec2-snapshot', 'ec2:CreateSnapshot', 'ec2:CreateTags')],
    uses: [CONTAIN],
  },

  // EC2: VPC flow logs (ec2/network.ts)
  {
    sdk: 'client-ec2',
    command: 'DescribeVpcs',
    grants: [g('any', 'ec2:DescribeVpcs')],
    uses: [read('vpc'), list('vpc')],
  },
  {
    sdk: 'client-ec2',
    command: 'DescribeFlowLogs',
    grants: [g('any', 'ec2:DescribeFlowLogs')],
    uses: [read('vpc'), UNDO],
  },
  {
    sdk: 'client-ec2',
    command: 'CreateFlowLogs',
    grants: [
      g('ec2-vpc', 'ec2:CreateFlowLogs'),
      g('ec2-vpc-flow-log', 'ec2:CreateFlowLogs'),
      // Delivery to S3 is a log delivery the caller creates (and deletes on failure).
      { actions: ['logs:CreateLogDelivery', 'logs:DeleteLogDelivery'], on: 'any', when: 'flow-logs-to-s3' },
      // Delivery to CloudWatch Logs goes through a role the caller passes (REFLEX_FLOW_LOGS_ROLE_ARN).
      { actions: ['iam:PassRole'], on: 'flow-logs-delivery-role', when: 'flow-logs-to-cloudwatch' },
    ],
    uses: [fix('enable-flow-logs')],
  },

  {
    sdk: 'client-ec2',
    command: 'DeleteFlowLogs',
    grants: [
      g('ec2-vpc-flow-log', 'ec2:DeleteFlowLogs'),
      { actions: ['logs:DeleteLogDelivery'], on: 'any', when: 'flow-logs-to-s3' },
    ],
    uses: [UNDO],
  },

  // EC2: EBS encryption by default (account/account.ts)
  {
    sdk: 'client-ec2',
    command: 'GetEbsEncryptionByDefault',
    grants: [g('any', 'ec2:GetEbsEncryptionByDefault')],
    uses: [read('account')],
  },
  {
    sdk: 'client-ec2',
    command: 'EnableEbsEncryptionByDefault',
    grants: [g('any', 'ec2:EnableEbsEncryptionByDefault')],
    uses: [fix('enable-ebs-default-encryption'), UNDO],
  },

  {
    sdk: 'client-ec2',
    command: 'DisableEbsEncryptionByDefault',
    grants: [g('any', 'ec2:DisableEbsEncryptionByDefault')],
    uses: [UNDO],
  },

  // CloudTrail (cloudtrail/trail.ts, sweep.ts)
  {
    sdk: 'client-cloudtrail',
    command: 'GetTrailStatus',
    grants: [g('cloudtrail-trail', 'cloudtrail:GetTrailStatus')],
    uses: [read('trail')],
  },
  {
    sdk: 'client-cloudtrail',
    command: 'ListTags',
    grants: [g('cloudtrail-trail', 'cloudtrail:ListTags')],
    uses: [read('trail')],
  },
  {
    sdk: 'client-cloudtrail',
    command: 'StartLogging',
    grants: [g('cloudtrail-trail', 'cloudtrail:StartLogging')],
    uses: [fix('start-trail-logging'), UNDO],
  },
  {
    sdk: 'client-cloudtrail',
    command: 'StopLogging',
    grants: [g('cloudtrail-trail', 'cloudtrail:StopLogging')],
    uses: [UNDO],
  },
  {
    sdk: 'client-cloudtrail',
    command: 'ListTrails',
    grants: [g('any', 'cloudtrail:ListTrails')],
    uses: [list('trail')],
  },

  // The state and audit table (state/dynamodb.ts): ledger, blast-radius counters, audit records.
  ...(['GetItem', 'PutItem', 'UpdateItem', 'Query'] as const).map(
    (command): AwsCommandPermission => ({
      sdk: 'client-dynamodb',
      command,
      grants: [g('state-table', `dynamodb:${command}`)],
      uses: [{ store: 'state' }, { store: 'audit' }],
    }),
  ),
  // Ticket secrets given as `secretsmanager:<arn>` (secrets.ts).
  {
    sdk: 'client-secrets-manager',
    command: 'GetSecretValue',
    grants: [g('ticket-secret', 'secretsmanager:GetSecretValue')],
    uses: [{ secret: 'tickets' }],
  },
  // Member accounts (memberAccounts.ts): the member role, assumed once per account and container. Sent with the STS
  // client of `@aws-sdk/nested-clients/sts` (the same STS API as `@aws-sdk/client-sts`, which is not installed).
  {
    sdk: 'client-sts',
    command: 'AssumeRole',
    grants: [g('member-account-role', 'sts:AssumeRole')],
    uses: [{ assume: 'member-account' }],
  },
  // The bot's own role, for the loop guard (ownIdentity.ts). AWS answers GetCallerIdentity to every principal, even
  // under an explicit deny: declared for the record, never granted (see awsUseNeeded).
  {
    sdk: 'client-sts',
    command: 'GetCallerIdentity',
    grants: [g('any', 'sts:GetCallerIdentity')],
    uses: [{ self: 'identity' }],
  },
];

/** The kind of resource each rule reads on AWS (core's `appliesTo`, in AWS terms); checked against core in tests. */
export const AWS_RULE_RESOURCE: Record<RuleName, AwsResourceKind> = {
  publicStorage: 'bucket',
  unencryptedStorage: 'bucket',
  storageWithoutLogging: 'bucket',
  insecureTransport: 'bucket',
  openIngress: 'security-group',
  trailLoggingStopped: 'trail',
  networkWithoutFlowLogs: 'vpc',
  ebsEncryptionByDefaultOff: 'account',
  accountPublicAccessUnblocked: 'account',
};

/** The fixes each rule can ask for on AWS. */
export const AWS_RULE_FIXES: Record<RuleName, readonly AwsFixKey[]> = {
  publicStorage: ['block-public-access:bucket', 'remove-public-grants', 'remove-public-statements'],
  unencryptedStorage: ['enable-encryption'],
  storageWithoutLogging: ['enable-logging'],
  insecureTransport: ['require-secure-transport'],
  openIngress: ['revoke-ingress'],
  trailLoggingStopped: ['start-trail-logging'],
  networkWithoutFlowLogs: ['enable-flow-logs'],
  ebsEncryptionByDefaultOff: ['enable-ebs-default-encryption'],
  accountPublicAccessUnblocked: ['block-public-access:account'],
};

/** What a deployment does, in the terms the grants are chosen by. */
export interface AwsPermissionNeeds {
  /** The mode of each rule as the deployed policy sets it (the kill switch is ignored: it is flipped without IAM changes). */
  rules: Partial<Record<RuleName, Mode>>;
  /** Sweeps list every kind of resource (they fail as a whole if one listing is denied). */
  sweep?: boolean;
  manual?: readonly ('contain' | 'undo')[];
  stateStore?: boolean;
  ticketSecrets?: boolean;
  memberAccounts?: boolean;
  /** Where flow logs go, when networkWithoutFlowLogs is enforced. */
  flowLogsDestination?: 's3' | 'cloudwatch';
}

export interface AwsStatementSpec {
  on: AwsResourceScope;
  actions: string[];
}

const ALL_KINDS: readonly AwsResourceKind[] = ['bucket', 'security-group', 'trail', 'vpc', 'account'];

/** Is this use needed by the deployment? */
export function awsUseNeeded(use: AwsUse, needs: AwsPermissionNeeds): boolean {
  const active = Object.entries(needs.rules).filter(([, mode]) => mode && mode !== 'off') as [RuleName, Mode][];
  const kinds = new Set(active.map(([rule]) => AWS_RULE_RESOURCE[rule]));
  if ('read' in use) return kinds.has(use.read);
  if ('list' in use) return kinds.has(use.list) || (needs.sweep === true && ALL_KINDS.includes(use.list));
  if ('fix' in use) return active.some(([rule, mode]) => mode === 'enforce' && AWS_RULE_FIXES[rule].includes(use.fix));
  if ('manual' in use) return needs.manual?.includes(use.manual) ?? false;
  if ('store' in use) return needs.stateStore === true;
  if ('secret' in use) return needs.ticketSecrets === true;
  if ('self' in use) return false;
  return needs.memberAccounts === true;
}

/**
 * The IAM statements a deployment needs, one per resource scope, actions sorted and unique. Planned
 * declarations are never granted.
 */
export function awsStatementsFor(needs: AwsPermissionNeeds): AwsStatementSpec[] {
  const byScope = new Map<AwsResourceScope, Set<string>>();
  for (const p of AWS_PERMISSIONS) {
    if (p.planned || !p.uses.some((u) => awsUseNeeded(u, needs))) continue;
    for (const grant of p.grants) {
      if (grant.when === 'flow-logs-to-s3' && needs.flowLogsDestination !== 's3') continue;
      if (grant.when === 'flow-logs-to-cloudwatch' && needs.flowLogsDestination !== 'cloudwatch') continue;
      const set = byScope.get(grant.on) ?? new Set<string>();
      for (const a of grant.actions) set.add(a);
      byScope.set(grant.on, set);
    }
  }
  return [...byScope.entries()]
    .map(([on, actions]) => ({ on, actions: [...actions].sort() }))
    .sort((a, b) => a.on.localeCompare(b.on));
}
