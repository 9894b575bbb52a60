import type { NetworkSecurityGroup, SecurityRule } from '@azure/arm-network';
import {
  type FirewallPosture,
  type IngressRule,
  type PortRange,
  parseArmId,
  type ResourceRef,
  ResourceTypes,
  type Source,
} from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { isNotFound } from '../arm/errors.js';

/**
 * The rules exactly as ARM returned them, per posture, so a fix rewrites a rule from its real document
 * (destination, source ports, description) and changes only what the plan says.
 */
const rawRules = new WeakMap<FirewallPosture, Map<string, SecurityRule>>();

export function rawRuleOf(p: FirewallPosture, name: string): SecurityRule | undefined {
  return rawRules.get(p)?.get(name.toLowerCase());
}

export function nsgLocation(ref: ResourceRef): { resourceGroup: string; nsg: string } {
  // A ref made from the NSG's own id already names both (refFromArmId); a rule's id or any other is parsed.
  if (ref.type === ResourceTypes.nsg && ref.resourceGroup && ref.name)
    return { resourceGroup: ref.resourceGroup, nsg: ref.name };
  const arm = parseArmId(ref.id);
  return { resourceGroup: arm.resourceGroup ?? '', nsg: arm.names[0]! };
}

const IP_LIKE = /^[0-9a-f:.]+(\/\d{1,3})?$/i;

/** `*`/`Any` are any source; CIDRs and addresses keep their written form; other words are service tags (Internet, AzureLoadBalancer). */
export function sourceOf(prefix: string): Source {
  if (prefix === '*' || prefix.toLowerCase() === 'any') return { kind: 'any', value: prefix };
  if (IP_LIKE.test(prefix) && /[.:]/.test(prefix)) return { kind: 'cidr', value: prefix };
  return { kind: 'service-tag', value: prefix };
}

/** `*` → all ports (empty list); `80`, `8000-8080`. */
export function portsOf(specs: string[]): PortRange[] {
  if (specs.length === 0 || specs.includes('*')) return [];
  return specs.map((s) => {
    const [from, to = from] = s.split('-').map((n) => Number(n.trim()));
    return { from: from!, to: to! };
  });
}

export function protocolOf(p: string | undefined): string {
  if (!p || p === '*') return 'all';
  return p.toLowerCase();
}

function nonEmpty(single: string | undefined, many: string[] | undefined): string[] {
  return many && many.length > 0 ? many : single ? [single] : [];
}

export function ingressRuleOf(r: SecurityRule): IngressRule {
  const sources: Source[] = [
    ...nonEmpty(r.sourceAddressPrefix, r.sourceAddressPrefixes).map(sourceOf),
    ...(r.sourceApplicationSecurityGroups ?? []).map(
      (g): Source => ({ kind: 'application-security-group', value: g.id ?? '' }),
    ),
  ];
  return {
    id: r.name ?? '',
    direction: r.direction === 'Outbound' ? 'outbound' : 'inbound',
    access: r.access === 'Deny' ? 'deny' : 'allow',
    protocol: protocolOf(r.protocol),
    ports: portsOf(nonEmpty(r.destinationPortRange, r.destinationPortRanges)),
    sources,
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    ...(r.description ? { description: r.description } : {}),
  };
}

/** The NSG as ARM returns it, or null when it does not exist (any more). */
export async function getNsg(clients: ArmClients, ref: ResourceRef): Promise<NetworkSecurityGroup | null> {
  const { resourceGroup, nsg } = nsgLocation(ref);
  try {
    return await clients.network.networkSecurityGroups.get(resourceGroup, nsg);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** The NSG's own rules (the default rules cannot be changed and never allow the internet in). */
export function nsgPosture(ref: ResourceRef, nsg: NetworkSecurityGroup): FirewallPosture {
  const rules = nsg.securityRules ?? [];
  const posture: FirewallPosture = {
    kind: 'firewall',
    ref: { ...ref, region: ref.region || nsg.location || '' },
    rules: rules.map(ingressRuleOf),
    tags: nsg.tags ?? {},
  };
  rawRules.set(posture, new Map(rules.map((r) => [(r.name ?? '').toLowerCase(), r])));
  return posture;
}

export async function readNsg(clients: ArmClients, ref: ResourceRef): Promise<FirewallPosture | null> {
  const nsg = await getNsg(clients, ref);
  return nsg && nsgPosture(ref, nsg);
}
