import { createHash } from 'node:crypto';
import type { Finding, ResourceRef, RuleName, Severity, Step, Trigger } from '../model/index.js';
import { ResourceTypes, refKey } from '../model/index.js';
import { shellCommand } from './shellCommand.js';

/** What a dry-run (or a fix that needs a human) files: enough for someone to apply or exempt it. */
export interface Ticket {
  /** Same cloud + resource + rule → same key, so a recurrence updates one ticket instead of opening many. */
  dedupeKey: string;
  title: string;
  severity: Severity;
  resource: ResourceRef;
  rule: RuleName;
  finding: Finding;
  trigger: { source: Trigger['source']; eventId: string; actor?: string; eventName?: string; eventTime?: string };
  /**
   * The exact planned changes: API call and the equivalent CLI command, as arguments and as the bash line that
   * passes exactly those arguments (`cli`, rendered by `shellCommand`).
   */
  steps: { summary: string; api: string; argv: string[]; cli: string; permission: string }[];
  /** Why it was ticketed rather than fixed (dry-run mode, kill switch, blast radius, no automatic fix). */
  reason: string;
  howToApply: string;
  howToExempt: string;
  createdAt: string;
}

export function dedupeKey(resource: ResourceRef, rule: RuleName): string {
  const digest = createHash('sha256')
    .update(`${resource.cloud}|${refKey(resource)}|${rule}`)
    .digest('hex');
  return `reflex-${digest.slice(0, 24)}`;
}

export function buildTicket(args: {
  finding: Finding;
  steps: Step[];
  trigger: Trigger;
  reason: string;
  exemptionTag: string;
  now: Date;
}): Ticket {
  const { finding, steps, trigger } = args;
  const r = finding.resource;
  const until = new Date(args.now.getTime() + 30 * 86_400_000).toISOString().slice(0, 10);
  const tagValue = `${finding.rule}; reason=<ticket or change id>; until=${until}`;
  const tag = exemptCommand(r, args.exemptionTag, tagValue);
  return {
    dedupeKey: dedupeKey(r, finding.rule),
    title: `[Reflex] ${finding.title} (${finding.rule})`,
    severity: finding.severity,
    resource: r,
    rule: finding.rule,
    finding,
    trigger: {
      source: trigger.source,
      eventId: trigger.eventId,
      ...(trigger.actor ? { actor: trigger.actor } : {}),
      ...(trigger.eventName ? { eventName: trigger.eventName } : {}),
      ...(trigger.eventTime ? { eventTime: trigger.eventTime } : {}),
    },
    steps: steps.flatMap((s) =>
      s.calls.map((c) => ({
        summary: s.summary,
        api: c.api,
        argv: c.argv,
        cli: shellCommand(c.argv),
        permission: c.permission,
      })),
    ),
    reason: args.reason,
    howToApply:
      steps.length > 0
        ? shellCommand(['reflex', 'remediate', r.id, '--rule', finding.rule])
        : 'no automatic fix: change the resource by hand',
    // The alternative is a shell comment: the whole line may be pasted.
    howToExempt: tag
      ? `${shellCommand(tag)} # or add the resource to allow.resources in the policy`
      : '# add the resource to allow.resources in the policy',
    createdAt: args.now.toISOString(),
  };
}

/** The command that sets the exemption tag without touching the resource's other tags. */
function exemptCommand(r: ResourceRef, tag: string, value: string): string[] | undefined {
  if (r.cloud === 'azure')
    return ['az', 'tag', 'update', '--resource-id', r.id, '--operation', 'Merge', '--tags', `${tag}=${value}`];
  // An account has no tags Reflex reads.
  if (r.type === ResourceTypes.awsAccount) return undefined;
  // The tagging API adds a tag (S3 PutBucketTagging would replace the bucket's whole tag set).
  return [
    'aws',
    'resourcegroupstaggingapi',
    'tag-resources',
    ...(r.region ? ['--region', r.region] : []),
    '--resource-arn-list',
    r.id,
    '--tags',
    JSON.stringify({ [tag]: value }),
  ];
}
