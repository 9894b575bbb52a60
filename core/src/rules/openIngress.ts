import type { FirewallPosture, IngressChange, IngressRule, PortRange, Source } from '../model/index.js';
import { globMatch } from '../policy/match.js';
import type { Policy } from '../policy/schema.js';
import { covers, formatRanges, intersect, parsePortSpec, rulePorts, sameRanges } from './ports.js';
import type { Rule } from './types.js';

const OPEN_NAMES = new Set(['*', 'any', 'internet']);
/** Ports whose exposure is an incident on its own: remote admin, databases, caches. */
const SENSITIVE_PORTS = [22, 23, 3389, 5985, 5986, 1433, 3306, 5432, 6379, 9200, 11211, 27017];

/** Is this source the whole internet? `*`, `Any`, `Internet`, and any CIDR as wide as the policy calls open. */
export function isOpenSource(src: Source, policy: Policy): boolean {
  if (src.kind === 'any' || src.kind === 'service-tag') return OPEN_NAMES.has(src.value.toLowerCase());
  if (src.kind !== 'cidr') return false;
  if (policy.allow.cidrs.includes(src.value)) return false;
  const slash = src.value.lastIndexOf('/');
  if (slash < 0) return OPEN_NAMES.has(src.value.toLowerCase());
  const bits = Number(src.value.slice(slash + 1));
  return Number.isInteger(bits) && bits <= (policy.rules.openIngress?.openPrefixAtMost ?? 0);
}

/** Ports the policy lets this resource keep open to the world, per protocol. */
export function publicPorts(policy: Policy, ref: { id: string; name: string }): Record<'tcp' | 'udp', PortRange[]> {
  const out: Record<'tcp' | 'udp', PortRange[]> = { tcp: [], udp: [] };
  for (const entry of policy.allow.publicIngress) {
    if (globMatch(entry.match, ref.id) || globMatch(entry.match, ref.name))
      out[entry.protocol].push(...entry.ports.map(parsePortSpec));
  }
  return out;
}

/**
 * What to do with one rule: null when it stays as it is. Only inbound Allow rules with an open source
 * change; the open sources lose everything but the allow-listed public ports; other sources keep all they had.
 */
export function planIngressChange(
  rule: IngressRule,
  policy: Policy,
  allowed: Record<'tcp' | 'udp', PortRange[]>,
): IngressChange | null {
  if (rule.direction !== 'inbound' || rule.access !== 'allow') return null;
  const open = rule.sources.filter((s) => isOpenSource(s, policy));
  if (open.length === 0) return null;
  const kept = rule.sources.filter((s) => !isOpenSource(s, policy));
  const after: IngressRule[] = [];
  if (kept.length > 0) after.push({ ...rule, sources: kept });
  const protocols: ('tcp' | 'udp')[] =
    rule.protocol === 'all'
      ? ['tcp', 'udp']
      : rule.protocol === 'tcp' || rule.protocol === 'udp'
        ? [rule.protocol]
        : [];
  for (const protocol of protocols) {
    const ports = intersect(rulePorts(rule.ports), allowed[protocol]);
    if (ports.length === 0) continue;
    const narrowed: IngressRule = { ...rule, id: after.length === 0 ? rule.id : '', protocol, ports, sources: open };
    // Already exactly what the policy allows: leave the rule alone.
    if (kept.length === 0 && protocol === rule.protocol && sameRanges(ports, rule.ports)) return null;
    after.push(narrowed);
  }
  return { before: rule, after };
}

/**
 * A rule for people: its id when the read named one (an AWS rule read from its group's permissions has none: its
 * protocol, ports and source are what identify it), `(new)` for a rule a fix creates.
 */
export function describeRule(r: IngressRule, created = false): string {
  const src = r.sources.map((s) => s.value).join(',');
  const label = created ? '(new) ' : r.id ? `${r.id}: ` : '';
  return `${label}${r.access} ${r.protocol} ${formatRanges(r.ports)} from ${src}${r.priority !== undefined ? ` (priority ${r.priority})` : ''}`;
}

/** One change for people: `remove <rule>`, or `narrow <rule> to <in place> + <(new) ...>`. */
export function describeChange(c: IngressChange, verb = 'remove'): string {
  return c.after.length === 0
    ? `${verb} ${describeRule(c.before)}`
    : `narrow ${describeRule(c.before)} to ${c.after.map((r, i) => describeRule(r, i > 0)).join(' + ')}`;
}

/** Inbound rules open to the whole internet. */
export const openIngress: Rule<FirewallPosture> = {
  name: 'openIngress',
  appliesTo: 'firewall',
  severity: 'critical',
  description:
    'Inbound Allow rules whose source is the whole internet (0.0.0.0/0, ::/0, and on Azure *, Any, Internet). ' +
    'The open source is removed; other sources, egress, Deny rules, prefix lists and group references are never ' +
    'touched. Ports the policy marks public-facing for the resource (allow.publicIngress) stay open, narrowed to ' +
    'exactly those ports. AWS: one RevokeSecurityGroupIngress naming the exact permissions. Azure: the rule is deleted, or updated ' +
    'in place when it keeps other prefixes or an allowed port; never closed by adding a competing rule.',
  evaluate(p, policy) {
    const allowed = publicPorts(policy, p.ref);
    const changes = p.rules
      .map((r) => planIngressChange(r, policy, allowed))
      .filter((c): c is IngressChange => c !== null);
    if (changes.length === 0) return null;
    const sensitive = changes.some((c) => {
      const ports = rulePorts(c.before.ports);
      return c.before.protocol === 'all' || SENSITIVE_PORTS.some((port) => covers(ports, port));
    });
    return {
      rule: 'openIngress',
      resource: p.ref,
      severity: sensitive ? 'critical' : 'high',
      title: `${p.ref.name} allows inbound traffic from the internet`,
      evidence: changes.map((c) => describeChange(c)),
      fixes: [{ type: 'revoke-ingress', changes }],
    };
  },
};
