import type { Mode, ResourceRef, RuleName } from '../model/index.js';
import { globMatch } from './match.js';
import type { Policy } from './schema.js';

/** The mode a rule runs in: its own, else the policy default; the kill switch turns enforce into dry-run. */
export function ruleMode(policy: Policy, rule: RuleName): Mode {
  const own = (policy.rules[rule] as { mode?: Mode } | undefined)?.mode ?? policy.mode;
  if (own === 'enforce' && policy.killSwitch) return 'dry-run';
  return own;
}

/** The allow-list entry that exempts this resource from this rule, if any. */
export function allowListEntry(policy: Policy, ref: ResourceRef, rule: RuleName) {
  return policy.allow.resources.find(
    (e) => (globMatch(e.match, ref.id) || globMatch(e.match, ref.name)) && (!e.rules || e.rules.includes(rule)),
  );
}

/**
 * Is this principal one of the bot's own? Role ARNs are compared by account and role name, because the
 * assumed-role session ARN in CloudTrail drops the role's path; Azure ids are GUIDs, compared case-insensitively.
 */
export function isOwnIdentity(policy: Policy, ids: readonly string[]): boolean {
  const own = new Set([...policy.identities.aws, ...policy.identities.azure].map(principalKey));
  return ids.some((id) => own.has(principalKey(id)));
}

/** A principal as compared: a role (or one of its sessions) by account and name; anything else lower-cased. */
export function principalKey(id: string): string {
  const v = id.toLowerCase();
  const role = /^arn:[^:]+:(?:iam|sts)::(\d{12}):(?:role\/(?:.*\/)?|assumed-role\/)([^/]+)/.exec(v);
  return role ? `role:${role[1]}:${role[2]}` : v;
}
