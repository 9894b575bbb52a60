import { createHash } from 'node:crypto';
import type { Finding, ResourceRef, RuleName, Severity, Step, Trigger } from '../model/index.js';
import { refKey } from '../model/index.js';

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
  /** The exact planned changes: API call and the equivalent CLI command. */
  steps: { summary: string; api: string; cli: string; permission: string }[];
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
  const tagCli =
    r.cloud === 'aws'
      ? `set tag ${args.exemptionTag}="${tagValue}" on ${r.id}`
      : `az tag update --resource-id ${r.id} --operation Merge --tags "${args.exemptionTag}=${tagValue}"`;
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
    steps: steps.flatMap((s) => s.calls.map((c) => ({ summary: s.summary, ...c }))),
    reason: args.reason,
    howToApply:
      steps.length > 0
        ? `reflex remediate '${r.id}' --rule ${finding.rule}`
        : 'no automatic fix: change the resource by hand',
    howToExempt: `${tagCli} (or add the resource to allow.resources in the policy)`,
    createdAt: args.now.toISOString(),
  };
}
