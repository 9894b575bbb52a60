import * as z from 'zod';
import type { FirewallPosture, IngressChange, IngressRule, PortRange, Source } from '../model/index.js';
import { globMatch } from '../policy/match.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import type { Policy } from '../policy/schema.js';
import { covers, formatRanges, intersect, parsePortSpec, rulePorts, sameRanges } from './ports.js';
import { parseNetwork, publicPart, publicShare } from './publicAddresses.js';
import type { RuleDef } from './types.js';

const OPEN_NAMES = new Set(['*', 'any', 'internet']);
/** Ports whose exposure is an incident on its own: remote admin, databases, caches. */
const SENSITIVE_PORTS = [22, 23, 3389, 5985, 5986, 1433, 3306, 5432, 6379, 9200, 11211, 27017];
const DEFAULT_OPEN_SHARE = 0.01;

const config = ruleConfig({
  /**
   * The sources of the inbound Allow rules reaching one port and protocol are open when together they cover
   * at least this share of the public IPv4 (or IPv6) address space. Private, CGNAT, loopback, link-local,
   * ULA and other special-purpose ranges never count. 0.01: about 37 million IPv4 addresses, two /8s.
   */
  openShare: z.number().gt(0).max(1).default(DEFAULT_OPEN_SHARE),
  /** Deprecated: the same as openShare 2^-N (a /N's share of the space); the stricter of the two applies. */
  openPrefixAtMost: z.number().int().min(0).max(32).optional(),
});
export type RevokeIngressFix = { type: 'revoke-ingress'; changes: IngressChange[] };

/** The share of the public address space from which a rule set counts as open to the internet. */
export function openShareOf(policy: Policy): number {
  const cfg = policy.rules.openIngress;
  const share = cfg?.openShare ?? DEFAULT_OPEN_SHARE;
  return cfg?.openPrefixAtMost === undefined ? share : Math.min(share, 2 ** -cfg.openPrefixAtMost);
}

/** A CIDR source the policy does not allow-list, strictly parsed; undefined for anything else. */
function networkOf(src: Source, policy: Policy) {
  if (src.kind !== 'cidr' || policy.allow.cidrs.includes(src.value)) return undefined;
  return parseNetwork(src.value);
}

/**
 * Is this source, alone, the internet? `*`, `Any`, `Internet`, and a CIDR covering at least the policy's share of
 * the public address space (10.0.0.0/8 or fc00::/7 cover none of it, however wide).
 */
export function isOpenSource(src: Source, policy: Policy): boolean {
  if (src.kind === 'any' || src.kind === 'service-tag') return OPEN_NAMES.has(src.value.toLowerCase());
  if (src.kind !== 'cidr' || policy.allow.cidrs.includes(src.value)) return false;
  const network = parseNetwork(src.value);
  // Not an address: only a scrubbed world (`x.x.x.x/0`, as in published samples) or a name is the world.
  if (!network) return src.value.endsWith('/0') || OPEN_NAMES.has(src.value.toLowerCase());
  return publicShare(network.family, publicPart(network)) >= openShareOf(policy);
}

/** The traffic keys two rules can share: a protocol, and for TCP/UDP one port. */
function protocolsOf(rule: IngressRule, present: ReadonlySet<string>): string[] {
  const p = rule.protocol.toLowerCase();
  return p === 'all' ? [...present] : [p];
}

/**
 * The sources that are open: each one open alone (above), and every public CIDR source of the inbound Allow rules
 * that, on one protocol and port, together cover the policy's share of the public space. `0.0.0.0/1` and
 * `128.0.0.0/1` in two rules for port 22 are the world split in two, and both go. Other sources stay.
 */
export function openSources(rules: readonly IngressRule[], policy: Policy): Set<Source> {
  const open = new Set<Source>();
  const threshold = openShareOf(policy);
  const candidates: { rule: IngressRule; src: Source; family: 4 | 6; parts: string[]; share: number }[] = [];
  for (const rule of rules) {
    if (rule.direction !== 'inbound' || rule.access !== 'allow') continue;
    for (const src of rule.sources) {
      if (isOpenSource(src, policy)) {
        open.add(src);
        continue;
      }
      const network = networkOf(src, policy);
      if (!network) continue;
      const parts = publicPart(network);
      if (parts.length > 0)
        candidates.push({ rule, src, family: network.family, parts, share: publicShare(network.family, parts) });
    }
  }
  for (const family of [4, 6] as const) {
    const mine = candidates.filter((c) => c.family === family);
    // Shares add up to at least their union: below the threshold in sum, no port can reach it.
    if (mine.reduce((sum, c) => sum + c.share, 0) < threshold) continue;
    const protocols = new Set(mine.map((c) => c.rule.protocol.toLowerCase()).filter((p) => p !== 'all'));
    for (const p of ['tcp', 'udp']) protocols.add(p);
    for (const protocol of protocols) {
      const on = mine.filter((c) => protocolsOf(c.rule, protocols).includes(protocol));
      const ported = protocol === 'tcp' || protocol === 'udp';
      // Each port range where the set of rules reaching it is the same, checked once at its first port.
      const starts = ported
        ? [...new Set(on.flatMap((c) => rulePorts(c.rule.ports).flatMap((r) => [r.from, r.to + 1])))]
            .filter((port) => port <= 65535)
            .sort((a, b) => a - b)
        : [0];
      for (const port of starts) {
        const reaching = ported ? on.filter((c) => covers(rulePorts(c.rule.ports), port)) : on;
        if (reaching.reduce((sum, c) => sum + c.share, 0) < threshold) continue;
        if (
          publicShare(
            family,
            reaching.flatMap((c) => c.parts),
          ) < threshold
        )
          continue;
        for (const c of reaching) open.add(c.src);
      }
    }
  }
  return open;
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

/** Inbound rules open to the whole internet. */
export const openIngress: RuleDef<'openIngress', FirewallPosture, typeof config, RevokeIngressFix> = {
  name: 'openIngress',
  appliesTo: 'firewall',
  severity: 'critical',
  description:
    'Inbound Allow rules open to the internet: 0.0.0.0/0, ::/0 (Azure also *, Any, Internet), and public CIDRs ' +
    'reaching together, on one port, 1% (openShare) of public addresses. ' +
    'The open source is removed; other sources, egress, Deny rules, prefix lists and group references are never ' +
    'touched. Ports the policy marks public-facing for the resource (allow.publicIngress) stay open, narrowed to ' +
    'exactly those ports. AWS: one RevokeSecurityGroupIngress naming the exact permissions. Azure: the rule is deleted, or updated ' +
    'in place when it keeps other prefixes or an allowed port; never closed by adding a competing rule.',
  config,
  fixes: { 'revoke-ingress': (fix) => fix.changes.map((c) => describeChange(c, 'revoke')).join('; ') },
  evaluate(p, policy) {
    const allowed = publicPorts(policy, p.ref);
    const open = openSources(p.rules, policy);
    const changes = p.rules
      .map((r) => planIngressChange(r, policy, allowed, (s) => open.has(s)))
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
