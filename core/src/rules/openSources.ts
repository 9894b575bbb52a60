import type { IngressRule, Source } from '../model/index.js';
import type { Policy } from '../policy/schema.js';
import { covers, rulePorts } from './ports.js';
import { parseNetwork, publicPart, publicShare } from './publicAddresses.js';

const OPEN_NAMES = new Set(['*', 'any', 'internet']);
/** Below this share of the public address space, together, sources are not the internet (rules.openIngress.openShare). */
export const DEFAULT_OPEN_SHARE = 0.01;

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
