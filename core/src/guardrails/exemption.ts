import type { RuleName, Tags } from '../model/index.js';
import { RULE_NAMES } from '../model/index.js';

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
