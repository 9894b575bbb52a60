import { awsRefs, errorMessage, type ResourceRef, ResourceTypes, type Trigger } from '@reflex/core';
import { accountRef, partitionOf } from './envelope.js';
import { obj, str } from './json.js';
import type { Envelope, ParsedEvent } from './types.js';

/**
 * AWS Config managed rules that map to Reflex rules. Rule names may carry a prefix or suffix
 * (`securityhub-restricted-ssh-a1b2c3`, `org-s3-bucket-logging-enabled`), so a name matches when it contains one.
 */
export const CONFIG_RULES = [
  's3-bucket-level-public-access-prohibited',
  's3-bucket-public-read-prohibited',
  's3-bucket-public-write-prohibited',
  's3-bucket-server-side-encryption-enabled',
  's3-bucket-logging-enabled',
  's3-bucket-ssl-requests-only',
  'restricted-ssh',
  'restricted-common-ports',
  'vpc-sg-open-only-to-authorized-ports',
  'cloudtrail-enabled',
  'vpc-flow-logs-enabled',
  'ec2-ebs-encryption-by-default',
  's3-account-level-public-access-blocks',
  's3-account-level-public-access-blocks-periodic',
] as const;

export function managedRuleOf(configRuleName: string): string | undefined {
  const name = configRuleName.toLowerCase();
  // Longest first, so `s3-account-level-public-access-blocks-periodic` is not read as its shorter prefix.
  return [...CONFIG_RULES].sort((a, b) => b.length - a.length).find((r) => name.includes(r));
}

/** A Config resource (type + id) as a ref; null for types Reflex does not handle. */
export function refFromConfig(
  resourceType: string,
  resourceId: string,
  account: string,
  region: string,
): ResourceRef | null {
  const partition = partitionOf(region);
  switch (resourceType) {
    case ResourceTypes.s3Bucket:
      return awsRefs.bucket(resourceId, account, region, partition);
    case ResourceTypes.securityGroup:
      return awsRefs.securityGroup(resourceId, account, region, partition);
    case ResourceTypes.vpc:
      return awsRefs.vpc(resourceId, account, region, partition);
    case ResourceTypes.trail:
      return resourceId.startsWith('arn:')
        ? { ...awsRefs.trail(resourceId.split('/').pop() ?? resourceId, account, region, partition), id: resourceId }
        : awsRefs.trail(resourceId, account, region, partition);
    case ResourceTypes.awsAccount:
      return awsRefs.account(account, region, partition);
    default:
      return null;
  }
}

export function parseConfig(env: Envelope): ParsedEvent {
  const d = env.detail;
  const trigger: Trigger = {
    source: 'config',
    eventId: env.id,
    eventName: env.detailType,
    ...(str(env.time) ? { eventTime: env.time } : {}),
  };
  const account = accountRef(env);
  const ignored = (reason: string, ref: ResourceRef = account): ParsedEvent => ({
    kind: 'ignored',
    eventId: env.id,
    ref,
    trigger,
    reason,
  });
  const malformed = (problem: string): ParsedEvent => ({
    kind: 'malformed',
    eventId: env.id,
    ref: account,
    trigger,
    problem: `${env.detailType}: ${problem}`,
  });
  const target = (resourceType: string | undefined, resourceId: string | undefined, status?: string) => {
    if (!resourceType || !resourceId) return malformed('resourceType or resourceId is missing');
    let ref: ResourceRef | null;
    try {
      ref = refFromConfig(resourceType, resourceId, env.account, env.region);
    } catch (err) {
      return malformed(errorMessage(err));
    }
    if (!ref) return ignored(`Config resource type ${resourceType} is not handled`);
    if (status) return ignored(status, ref);
    return { kind: 'targets' as const, eventId: env.id, targets: [{ ref, trigger }], lookups: [], skipped: [] };
  };

  if (env.detailType === 'Config Rules Compliance Change') {
    const ruleName = str(d.configRuleName);
    const result = obj(d.newEvaluationResult);
    const qualifier = obj(obj(result?.evaluationResultIdentifier)?.evaluationResultQualifier);
    const resourceType = str(d.resourceType) ?? str(qualifier?.resourceType);
    const resourceId = str(d.resourceId) ?? str(qualifier?.resourceId);
    const compliance = str(result?.complianceType);
    if (!ruleName) return malformed('configRuleName is missing');
    if (!compliance) return malformed('newEvaluationResult.complianceType is missing');
    const managed = managedRuleOf(ruleName);
    if (!managed) return ignored(`Config rule ${ruleName} does not map to a Reflex rule`);
    if (compliance !== 'NON_COMPLIANT')
      return target(resourceType, resourceId, `Config rule ${ruleName} reports ${compliance}`);
    if (managed === 'cloudtrail-enabled') {
      const lookup = { kind: 'trails' as const, account: env.account, region: env.region, trigger };
      return { kind: 'targets', eventId: env.id, targets: [], lookups: [lookup], skipped: [] };
    }
    return target(resourceType, resourceId);
  }

  if (env.detailType === 'Config Configuration Item Change') {
    const item = obj(d.configurationItem);
    if (!item) return malformed('configurationItem is missing');
    const status = str(item.configurationItemStatus);
    const resourceType = str(item.resourceType);
    const resourceId = str(item.resourceId);
    if (status === 'ResourceDeleted' || status === 'ResourceDeletedNotRecorded' || status === 'ResourceNotRecorded')
      return target(resourceType, resourceId, `configuration item status ${status}: nothing to fix`);
    return target(resourceType, resourceId);
  }
  return ignored(`${env.detailType} events from Config are not handled`);
}
