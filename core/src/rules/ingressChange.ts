import type { IngressChange, IngressRule, PortRange, Source } from '../model/index.js';
import { globMatch } from '../policy/match.js';
import type { Policy } from '../policy/schema.js';
import { isOpenSource } from './openSources.js';
import { formatRanges, intersect, parsePortSpec, rulePorts, sameRanges } from './ports.js';

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
  isOpen: (s: Source) => boolean = (s) => isOpenSource(s, policy),
): IngressChange | null {
  if (rule.direction !== 'inbound' || rule.access !== 'allow') return null;
  const open = rule.sources.filter(isOpen);
  if (open.length === 0) return null;
  const kept = rule.sources.filter((s) => !isOpen(s));
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
