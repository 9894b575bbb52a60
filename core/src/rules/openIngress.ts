import * as z from 'zod';
import type { FirewallPosture, IngressChange } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import { describeChange, planIngressChange, publicPorts } from './ingressChange.js';
import { DEFAULT_OPEN_SHARE, openSources } from './openSources.js';
import { covers, rulePorts } from './ports.js';
import type { RuleDef } from './types.js';

/** Ports whose exposure is an incident on its own: remote admin, databases, caches. */
const SENSITIVE_PORTS = [22, 23, 3389, 5985, 5986, 1433, 3306, 5432, 6379, 9200, 11211, 27017];

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
