/** A security rule document as ARM holds it: what a write of one looks like, what decides traffic, what can be PUT. */
import type { SecurityRule } from '@azure/arm-network';
import type { IngressRule } from '@reflex/core';

/** One ARM call on a security rule. */
export type RuleWrite =
  | { op: 'delete'; name: string; before: IngressRule }
  | { op: 'update'; name: string; before: IngressRule; rule: SecurityRule }
  | { op: 'create'; name: string; rule: SecurityRule };

/** The shape of a rule that decides traffic; what undo compares. */
export function ruleShape(r: SecurityRule): Record<string, unknown> {
  const many = (one: string | undefined, list: string[] | undefined) =>
    [...(list?.length ? list : one ? [one] : [])].sort();
  return {
    access: r.access,
    direction: r.direction,
    priority: r.priority,
    protocol: r.protocol,
    sources: [
      ...many(r.sourceAddressPrefix, r.sourceAddressPrefixes),
      ...(r.sourceApplicationSecurityGroups ?? []).map((g) => g.id ?? ''),
    ].sort(),
    sourcePorts: many(r.sourcePortRange, r.sourcePortRanges),
    destinations: [
      ...many(r.destinationAddressPrefix, r.destinationAddressPrefixes),
      ...(r.destinationApplicationSecurityGroups ?? []).map((g) => g.id ?? ''),
    ].sort(),
    destinationPorts: many(r.destinationPortRange, r.destinationPortRanges),
  };
}

const READ_ONLY = new Set(['id', 'name', 'etag', 'type', 'provisioningState']);

/** A rule document as it can be PUT: read-only fields and empty plural lists dropped. */
export function writableRule(doc: SecurityRule): SecurityRule {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (READ_ONLY.has(k) || v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as SecurityRule;
}
