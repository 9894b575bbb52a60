import type { RuleName, Tags, Trigger } from '../model/index.js';
import type { Policy } from '../policy/schema.js';
import { RULE_NAMES } from '../rules/registry.js';

/** A parsed `reflex:exempt` tag: `openIngress,publicStorage; reason=INC-123 load test; until=2026-12-31`. */
export interface Exemption {
  rules: RuleName[] | 'all';
  reason: string;
  until: Date;
}

export type ExemptionCheck =
  | { state: 'none' }
  | { state: 'active'; exemption: Exemption }
  | { state: 'not-for-rule'; exemption: Exemption }
  | { state: 'expired'; exemption: Exemption }
  | { state: 'malformed'; problem: string };

const DAY = 86_400_000;

export function parseExemption(value: string): Exemption | string {
  const [head = '', ...fields] = value.split(';').map((s) => s.trim());
  const names = head.split(/[\s,]+/).filter(Boolean);
  if (names.length === 0) return 'names no rule';
  let rules: RuleName[] | 'all';
  if (names.length === 1 && (names[0] === '*' || names[0]!.toLowerCase() === 'all')) rules = 'all';
  else {
    const unknown = names.filter((n) => !(RULE_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0) return `unknown rule ${unknown.join(', ')}`;
    rules = names as RuleName[];
  }
  const kv = new Map<string, string>();
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq > 0) kv.set(f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1).trim());
  }
  const reason = kv.get('reason');
  if (!reason) return 'has no reason=';
  const untilText = kv.get('until');
  if (!untilText) return 'has no until=';
  // A bare date means the whole of that day (UTC).
  const until = /^\d{4}-\d{2}-\d{2}$/.test(untilText) ? new Date(Date.parse(untilText) + DAY - 1) : new Date(untilText);
  if (Number.isNaN(until.getTime())) return `until=${untilText} is not a date`;
  return { rules, reason, until };
}

/** Checks the exemption tag on a resource for a rule. Expired and malformed tags do not exempt; they are reported. */
export function checkExemption(tags: Tags, tagKey: string, rule: RuleName, now: Date, maxDays: number): ExemptionCheck {
  const key = Object.keys(tags).find((k) => k.toLowerCase() === tagKey.toLowerCase());
  if (key === undefined) return { state: 'none' };
  const parsed = parseExemption(tags[key]!);
  if (typeof parsed === 'string') return { state: 'malformed', problem: `tag ${key} ${parsed}` };
  if (parsed.until.getTime() - now.getTime() > maxDays * DAY)
    return { state: 'malformed', problem: `tag ${key} expires more than ${maxDays} days ahead` };
  if (parsed.rules !== 'all' && !parsed.rules.includes(rule)) return { state: 'not-for-rule', exemption: parsed };
  if (parsed.until.getTime() < now.getTime()) return { state: 'expired', exemption: parsed };
  return { state: 'active', exemption: parsed };
}

/** An exemption tag as the outcome records it. */
export interface TagExemption {
  tag: string;
  value: string;
  until: string;
  reason: string;
  /** The actor of the event whose call wrote the tag; absent when the event did not write it. */
  setBy?: string;
}

export type TagExemptionCheck =
  | Exclude<ExemptionCheck, { state: 'active' }>
  | { state: 'active'; exemption: Exemption; record: TagExemption }
  | { state: 'refused'; problem: string };

/**
 * The exemption tag for a rule, as the policy lets it count. A tag is an off switch anyone with tag-write access
 * holds, so the policy may turn it off (`exemptions.tags: false`) or allow it for named rules only; a tag it
 * refuses is reported, never honoured. An honoured one names who set it when the triggering event wrote it.
 */
export function tagExemption(
  tags: Tags,
  settings: Policy['exemptions'],
  rule: RuleName,
  now: Date,
  trigger?: Trigger,
): TagExemptionCheck {
  const key = Object.keys(tags).find((k) => k.toLowerCase() === settings.tag.toLowerCase());
  if (key === undefined) return { state: 'none' };
  const allowed = settings.tags ?? true;
  if (allowed === false)
    return { state: 'refused', problem: `tag ${key} ignored: tag exemptions are off in the policy` };
  if (allowed !== true && !allowed.rules.includes(rule))
    return {
      state: 'refused',
      problem: `tag ${key} ignored: the policy allows tag exemptions only for ${allowed.rules.join(', ')}`,
    };
  const check = checkExemption(tags, settings.tag, rule, now, settings.maxDays);
  if (check.state !== 'active') return check;
  const written = trigger?.tagsWritten;
  const setBy =
    written === 'all' || written?.some((k) => k.toLowerCase() === key.toLowerCase()) ? trigger?.actor : undefined;
  return {
    ...check,
    record: {
      tag: key,
      value: tags[key]!,
      until: check.exemption.until.toISOString(),
      reason: check.exemption.reason,
      ...(setBy ? { setBy } : {}),
    },
  };
}
