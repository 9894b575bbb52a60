/**
 * What the AWS bot reacts to, as EventBridge patterns need it: CloudTrail calls per service, Config managed rules
 * and Security Hub controls, each with the kind of resource it concerns (so a deployment subscribes only to what
 * its enabled rules read). The parsers in `aws-lambda/src/events/` are the authority; `infra/test/aws.test.ts`
 * runs every name here through the real parser (it must be handled) and checks the parser's own lists
 * (CONFIG_RULES, the Security Hub control table, the CloudTrail call sets) against these, both ways.
 */
import { type AwsResourceKind, SECURITY_HUB_CONTROLS } from '@reflex/aws/deployment';

export interface CloudTrailService {
  /** EventBridge `source`. */
  source: string;
  /** CloudTrail `eventSource`. */
  eventSource: string;
  calls: Record<string, AwsResourceKind>;
}

export const CLOUDTRAIL_CALLS: readonly CloudTrailService[] = [
  {
    source: 'aws.s3',
    eventSource: 's3.amazonaws.com',
    calls: {
      CreateBucket: 'bucket',
      PutBucketAcl: 'bucket',
      PutBucketPolicy: 'bucket',
      DeleteBucketPolicy: 'bucket',
      PutBucketPublicAccessBlock: 'bucket',
      DeleteBucketPublicAccessBlock: 'bucket',
      PutBucketEncryption: 'bucket',
      DeleteBucketEncryption: 'bucket',
      PutBucketLogging: 'bucket',
      PutBucketOwnershipControls: 'bucket',
      DeleteBucketOwnershipControls: 'bucket',
      // Tags can exempt a bucket: a tag write is judged, so the exemption is reported with who set it.
      PutBucketTagging: 'bucket',
      DeleteBucketTagging: 'bucket',
      // Account-level Block Public Access (S3 Control); CloudTrail names them with or without "Account".
      PutAccountPublicAccessBlock: 'account',
      DeleteAccountPublicAccessBlock: 'account',
      PutPublicAccessBlock: 'account',
      DeletePublicAccessBlock: 'account',
    },
  },
  {
    source: 'aws.ec2',
    eventSource: 'ec2.amazonaws.com',
    calls: {
      // The parser reads any call that names a group; these are the calls that can open one.
      CreateSecurityGroup: 'security-group',
      AuthorizeSecurityGroupIngress: 'security-group',
      ModifySecurityGroupRules: 'security-group',
      UpdateSecurityGroupRuleDescriptionsIngress: 'security-group',
      // An exemption tag set on (or removed from) a group.
      CreateTags: 'security-group',
      DeleteTags: 'security-group',
      DeleteFlowLogs: 'vpc',
      DisableEbsEncryptionByDefault: 'account',
    },
  },
  {
    source: 'aws.cloudtrail',
    eventSource: 'cloudtrail.amazonaws.com',
    calls: { StopLogging: 'trail' },
  },
];

/** AWS Config managed rules (the parser's CONFIG_RULES) with the resource kind each evaluates. */
export const CONFIG_RULE_KINDS: Record<string, AwsResourceKind> = {
  's3-bucket-level-public-access-prohibited': 'bucket',
  's3-bucket-public-read-prohibited': 'bucket',
  's3-bucket-public-write-prohibited': 'bucket',
  's3-bucket-server-side-encryption-enabled': 'bucket',
  's3-bucket-logging-enabled': 'bucket',
  's3-bucket-ssl-requests-only': 'bucket',
  'restricted-ssh': 'security-group',
  'restricted-common-ports': 'security-group',
  'vpc-sg-open-only-to-authorized-ports': 'security-group',
  'cloudtrail-enabled': 'trail',
  'vpc-flow-logs-enabled': 'vpc',
  'ec2-ebs-encryption-by-default': 'account',
  's3-account-level-public-access-blocks': 'account',
  's3-account-level-public-access-blocks-periodic': 'account',
};

/** The managed rule identifier of each (for deploying the rules themselves; the periodic twin is not deployed). */
export const CONFIG_RULE_IDENTIFIERS: Record<string, string> = {
  's3-bucket-level-public-access-prohibited': 'S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED',
  's3-bucket-public-read-prohibited': 'S3_BUCKET_PUBLIC_READ_PROHIBITED',
  's3-bucket-public-write-prohibited': 'S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
  's3-bucket-server-side-encryption-enabled': 'S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED',
  's3-bucket-logging-enabled': 'S3_BUCKET_LOGGING_ENABLED',
  's3-bucket-ssl-requests-only': 'S3_BUCKET_SSL_REQUESTS_ONLY',
  'restricted-ssh': 'INCOMING_SSH_DISABLED',
  'restricted-common-ports': 'RESTRICTED_INCOMING_TRAFFIC',
  'vpc-sg-open-only-to-authorized-ports': 'VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS',
  'cloudtrail-enabled': 'CLOUD_TRAIL_ENABLED',
  'vpc-flow-logs-enabled': 'VPC_FLOW_LOGS_ENABLED',
  'ec2-ebs-encryption-by-default': 'EC2_EBS_ENCRYPTION_BY_DEFAULT',
  's3-account-level-public-access-blocks': 'S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS',
};

/** Security Hub controls the parser maps, with the resource kind each points at: the parser's own table. */
export { SECURITY_HUB_CONTROLS };

const pick = <T extends string>(map: Record<T, AwsResourceKind>, kinds: ReadonlySet<AwsResourceKind>): T[] =>
  (Object.keys(map) as T[]).filter((k) => kinds.has(map[k])).sort();

/** The EventBridge patterns for the kinds a deployment reads. Empty lists mean: no rule. */
export function patternsFor(kinds: ReadonlySet<AwsResourceKind>) {
  const cloudTrail = CLOUDTRAIL_CALLS.map((s) => ({
    source: [s.source],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: [s.eventSource],
      eventName: pick(s.calls, kinds),
      // A failed call changed nothing.
      errorCode: [{ exists: false }],
    },
  })).filter((p) => p.detail.eventName.length > 0);
  const configRules = pick(CONFIG_RULE_KINDS, kinds);
  const config =
    configRules.length > 0
      ? {
          source: ['aws.config'],
          'detail-type': ['Config Rules Compliance Change'],
          detail: {
            // Rule names carry prefixes and suffixes (securityhub-restricted-ssh-a1b2c3): matched by containment.
            configRuleName: configRules.map((r) => ({ wildcard: `*${r}*` })),
            newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
          },
        }
      : undefined;
  const controls = pick(SECURITY_HUB_CONTROLS, kinds);
  const ids = controls.filter((c) => !c.startsWith('CIS.'));
  const cis = controls.filter((c) => c.startsWith('CIS.')).map((c) => c.slice('CIS.'.length));
  const failed = ['FAILED'];
  // A finding names its control in one of three places, as the parser's controlOf reads them: the consolidated
  // SecurityControlId, the per-standard ProductFields.ControlId, or (CIS 1.2.0) the GeneratorId.
  const branches: Record<string, unknown>[] = [];
  if (ids.length > 0) {
    branches.push({ Compliance: { Status: failed, SecurityControlId: ids } });
    branches.push({ Compliance: { Status: failed }, ProductFields: { ControlId: ids } });
  }
  if (cis.length > 0)
    branches.push({
      Compliance: { Status: failed },
      GeneratorId: cis.map((r) => ({ wildcard: `*cis-aws-foundations-benchmark/v/*/rule/${r}` })),
    });
  const securityHub =
    branches.length > 0
      ? {
          source: ['aws.securityhub'],
          'detail-type': ['Security Hub Findings - Imported'],
          detail: { findings: { RecordState: ['ACTIVE'], $or: branches } },
        }
      : undefined;
  return { cloudTrail, config, securityHub };
}
