import { awsRefs, errorMessage, type ResourceRef, refFromArn, type Target, type Trigger } from '@reflex/core';
import { accountRef, partitionOf } from './envelope.js';
import { list, obj, str } from './json.js';
import type { Envelope, Lookup, ParsedEvent, Skipped } from './types.js';

/**
 * Security Hub controls (consolidated ids, also the per-standard AFSBP ids) and what they point at. The one list:
 * the deployment's EventBridge pattern (infra/aws/lib/triggers.ts) subscribes to exactly these.
 * CIS 1.2.0 rules 4.1 / 4.2 are the SSH / RDP ingress checks (EC2.13 / EC2.14 in consolidated form).
 */
export const SECURITY_HUB_CONTROLS: Record<string, 'bucket' | 'security-group' | 'account' | 'vpc' | 'trail'> = {
  'S3.1': 'account',
  'S3.2': 'bucket',
  'S3.3': 'bucket',
  'S3.4': 'bucket',
  'S3.5': 'bucket',
  'S3.8': 'bucket',
  'S3.9': 'bucket',
  'S3.19': 'bucket',
  'EC2.2': 'security-group',
  'EC2.13': 'security-group',
  'EC2.14': 'security-group',
  'EC2.18': 'security-group',
  'EC2.19': 'security-group',
  'EC2.53': 'security-group',
  'EC2.54': 'security-group',
  'EC2.6': 'vpc',
  'EC2.7': 'account',
  'CloudTrail.1': 'trail',
  'CloudTrail.3': 'trail',
  'CIS.4.1': 'security-group',
  'CIS.4.2': 'security-group',
};

/** The control a finding reports: consolidated SecurityControlId, else ProductFields, else the GeneratorId. */
export function controlOf(finding: Record<string, unknown>): string | undefined {
  const consolidated = str(obj(finding.Compliance)?.SecurityControlId);
  if (consolidated) return consolidated;
  const fields = obj(finding.ProductFields);
  const controlId = str(fields?.ControlId);
  if (controlId) return controlId;
  const generator = str(finding.GeneratorId) ?? '';
  const cis = /cis-aws-foundations-benchmark\/v\/[\d.]+\/rule\/([\d.]+)$/.exec(generator);
  if (cis) return `CIS.${cis[1]}`;
  const ruleId = str(fields?.RuleId);
  if (ruleId && generator.includes('cis-aws-foundations')) return `CIS.${ruleId}`;
  const tail = /(?:security-control|\/v\/[\d.]+)\/([A-Za-z0-9]+\.\d+)$/.exec(generator);
  return tail?.[1];
}

export function parseSecurityHub(env: Envelope): ParsedEvent {
  const findings = env.detail.findings;
  const account = accountRef(env);
  const base: Trigger = { source: 'securityhub', eventId: env.id, eventName: env.detailType };
  if (!Array.isArray(findings))
    return {
      kind: 'malformed',
      eventId: env.id,
      ref: account,
      trigger: base,
      problem: 'detail.findings is not a list',
    };
  const targets: Target[] = [];
  const lookups: Lookup[] = [];
  const skipped: Skipped[] = [];
  const seen = new Set<string>();

  for (const [i, raw] of findings.entries()) {
    const f = obj(raw);
    const control = f ? controlOf(f) : undefined;
    const trigger: Trigger = {
      ...base,
      ...(control ? { eventName: `${env.detailType}: ${control}` } : {}),
      ...(str(f?.UpdatedAt) ? { eventTime: str(f?.UpdatedAt) } : {}),
    };
    const skip = (reason: string, ref: ResourceRef = account) =>
      void skipped.push({ ref, trigger, reason: `finding #${i}${control ? ` (${control})` : ''}: ${reason}` });
    if (!f) {
      skip('not an object');
      continue;
    }
    const findingAccount = str(f.AwsAccountId) ?? env.account;
    const region = str(f.Region) ?? env.region;
    const resources = list(f.Resources)
      .map(obj)
      .filter((r): r is Record<string, unknown> => r !== undefined);
    const refs = resources.map((r) => resourceRef(r, findingAccount, str(r.Region) ?? region));
    const first = refs.find((r): r is ResourceRef => r !== null && !(r instanceof Error));
    const compliance = str(obj(f.Compliance)?.Status);
    const recordState = str(f.RecordState);
    const workflow = str(obj(f.Workflow)?.Status);
    if (!control) {
      skip('names no control', first ?? account);
      continue;
    }
    const kind = SECURITY_HUB_CONTROLS[control];
    if (!kind) {
      skip(`control ${control} does not map to a Reflex rule`, first ?? account);
      continue;
    }
    if (recordState !== 'ACTIVE') {
      skip(`record state ${recordState ?? 'missing'}`, first ?? account);
      continue;
    }
    if (compliance !== 'FAILED') {
      skip(`compliance ${compliance ?? 'missing'}, not FAILED`, first ?? account);
      continue;
    }
    if (workflow === 'SUPPRESSED') {
      skip('suppressed in Security Hub', first ?? account);
      continue;
    }
    // CloudTrail controls are about the account's trails, not one trail: look them all up.
    if (kind === 'trail') {
      lookups.push({ kind: 'trails', account: findingAccount, region, trigger });
      continue;
    }
    if (refs.length === 0) {
      skip('lists no resources');
      continue;
    }
    for (const ref of refs) {
      if (ref instanceof Error) {
        skip(ref.message);
        continue;
      }
      if (!ref) continue;
      if (seen.has(ref.id)) continue;
      seen.add(ref.id);
      targets.push({ ref, trigger });
    }
  }
  if (targets.length === 0 && lookups.length === 0) {
    const reason = skipped.map((s) => s.reason).join('; ') || 'no findings';
    return { kind: 'ignored', eventId: env.id, ref: skipped[0]?.ref ?? account, trigger: base, reason };
  }
  return { kind: 'targets', eventId: env.id, targets, lookups, skipped };
}

/** An ASFF resource as a ref: ARNs for buckets, groups, VPCs and trails; `AWS::::Account:<id>` for the account. */
function resourceRef(r: Record<string, unknown>, account: string, region: string): ResourceRef | Error | null {
  const type = str(r.Type);
  const id = str(r.Id);
  if (!type || !id) return new Error('resource without Type or Id');
  const partition = str(r.Partition) ?? partitionOf(region);
  try {
    switch (type) {
      case 'AwsAccount': {
        const acct = /(\d{12})$/.exec(id)?.[1] ?? account;
        return awsRefs.account(acct, region, partition);
      }
      case 'AwsS3Bucket':
      case 'AwsEc2SecurityGroup':
      case 'AwsEc2Vpc':
      case 'AwsCloudTrailTrail':
        if (id.startsWith('arn:')) return refFromArn(id, { account, region });
        if (type === 'AwsS3Bucket') return awsRefs.bucket(id, account, region, partition);
        if (type === 'AwsEc2SecurityGroup') return awsRefs.securityGroup(id, account, region, partition);
        if (type === 'AwsEc2Vpc') return awsRefs.vpc(id, account, region, partition);
        return awsRefs.trail(id, account, region, partition);
      default:
        return null;
    }
  } catch (err) {
    return new Error(errorMessage(err));
  }
}
