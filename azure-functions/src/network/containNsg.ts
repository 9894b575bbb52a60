import type { SecurityRule } from '@azure/arm-network';
import {
  type CallDescription,
  type FirewallPosture,
  type IngressRule,
  type Step,
  UnsupportedResourceError,
} from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { RequestIds } from '../arm/requestIds.js';
import { CONTAINED_TAG, type ContainmentNote, containedTagValue, withContainedTag } from '../containment.js';
import { nsgLocation } from './readNsg.js';
import { ruleShape, writableRule } from './securityRule.js';

/** The deny-all rule a containment adds (letters, digits and `-` only: valid as an NSG rule name everywhere). */
export const CONTAIN_RULE_NAME = 'reflex-contain-deny-all-inbound';

const PRIORITY_MIN = 100;
const PRIORITY_MAX = 4096;

/** Where the deny-all rule goes, and the rule that makes room for it when one must. */
export interface ContainPlacement {
  priority: number;
  /** The rule at 100 when nothing free sits before the first Allow rule: moved to `to`, put back by undo. */
  move?: { rule: string; from: number; to: number };
}

/**
 * Where the deny-all rule goes: 100 when free (NSG rules are evaluated lowest number first, so it beats every
 * Allow rule). When 100 is taken, the lowest free number below the lowest-numbered inbound Allow rule; with no
 * Allow rule at all, the lowest free number (only Deny rules sit above it then). When every number below the
 * first Allow rule is taken (an Allow rule at 100, the number the portal gives the first rule), the rule at 100
 * moves to the lowest free number and the deny-all takes 100: while contained nothing inbound passes whatever
 * order the others have, and undo puts that rule back at 100. Only an NSG with no free inbound number is refused.
 */
export function containPlacement(rules: IngressRule[]): ContainPlacement {
  const inbound = rules.filter((r) => r.direction === 'inbound' && r.id.toLowerCase() !== CONTAIN_RULE_NAME);
  const used = new Set(inbound.map((r) => r.priority).filter((p): p is number => p !== undefined));
  if (!used.has(PRIORITY_MIN)) return { priority: PRIORITY_MIN };
  const allows = inbound.filter((r) => r.access === 'allow' && r.priority !== undefined);
  const firstAllow = allows.length > 0 ? Math.min(...allows.map((r) => r.priority!)) : PRIORITY_MAX + 1;
  for (let p = PRIORITY_MIN + 1; p < firstAllow && p <= PRIORITY_MAX; p++) if (!used.has(p)) return { priority: p };
  for (let p = PRIORITY_MIN + 1; p <= PRIORITY_MAX; p++) {
    if (used.has(p)) continue;
    const first = inbound.find((r) => r.priority === PRIORITY_MIN)!;
    return { priority: PRIORITY_MIN, move: { rule: first.id, from: PRIORITY_MIN, to: p } };
  }
  throw new UnsupportedResourceError('cannot contain: no free inbound priority left (100-4096)');
}

export function containRuleDocument(priority: number): SecurityRule {
  return {
    description: 'Reflex containment: deny all inbound traffic (see the reflex:contained tag)',
    protocol: '*',
    sourcePortRange: '*',
    destinationPortRange: '*',
    sourceAddressPrefix: '*',
    destinationAddressPrefix: '*',
    access: 'Deny',
    priority,
    direction: 'Inbound',
  };
}

export function describeNsgContainment(p: FirewallPosture): CallDescription[] {
  const { resourceGroup: g, nsg } = nsgLocation(p.ref);
  let placement: ContainPlacement | undefined;
  try {
    placement = containPlacement(p.rules);
  } catch {
    placement = undefined;
  }
  const move = placement?.move;
  return [
    ...(move
      ? [
          {
            api: `PUT ${p.ref.id}/securityRules/${move.rule} (SecurityRules_CreateOrUpdate) priority ${move.to}`,
            argv: [
              'az',
              'network',
              'nsg',
              'rule',
              'update',
              '--resource-group',
              g,
              '--nsg-name',
              nsg,
              '--name',
              move.rule,
              '--priority',
              String(move.to),
            ],
            permission: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
          },
        ]
      : []),
    {
      api: `PUT ${p.ref.id}/securityRules/${CONTAIN_RULE_NAME} (SecurityRules_CreateOrUpdate) Deny * → * at priority ${placement?.priority ?? '<none free>'}`,
      argv: [
        'az',
        'network',
        'nsg',
        'rule',
        'create',
        '--resource-group',
        g,
        '--nsg-name',
        nsg,
        '--name',
        CONTAIN_RULE_NAME,
        '--priority',
        String(placement?.priority ?? '<none free>'),
        '--direction',
        'Inbound',
        '--access',
        'Deny',
        '--protocol',
        '*',
        '--source-address-prefixes',
        '*',
        '--source-port-ranges',
        '*',
        '--destination-address-prefixes',
        '*',
        '--destination-port-ranges',
        '*',
      ],
      permission: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
    },
    {
      api: `PATCH ${p.ref.id} (NetworkSecurityGroups_UpdateTags) tags.${CONTAINED_TAG}`,
      argv: [
        'az',
        'network',
        'nsg',
        'update',
        '--resource-group',
        g,
        '--name',
        nsg,
        '--set',
        `tags.${CONTAINED_TAG}=<time remediation: reason>`,
      ],
      permission: 'Microsoft.Network/networkSecurityGroups/write',
    },
  ];
}

/**
 * Containment of an NSG: a Deny-all inbound rule at the priority `containPlacement` picks (moving the rule at 100 when it must), then the
 * `reflex:contained` tag (merged into the NSG's tags: a tag PATCH replaces the whole set). Verified on a
 * re-read: the rule is there as written and no inbound Allow rule is evaluated before it. The two writes go one
 * after the other, since ARM serialises updates of one NSG.
 */
export async function containNsg(
  clients: ArmClients,
  step: Step,
  p: FirewallPosture,
  note: ContainmentNote | undefined,
  now: Date,
): Promise<{ before: unknown; after: unknown; requestIds: string[] }> {
  const { resourceGroup, nsg } = nsgLocation(p.ref);
  const { priority, move } = containPlacement(p.rules);
  const existing = p.rules.find((r) => r.id.toLowerCase() === CONTAIN_RULE_NAME);
  const document = containRuleDocument(priority);
  const tag = containedTagValue(now, step.id, note);
  const ids = new RequestIds();
  let moved: { rule: string; before: SecurityRule; after: SecurityRule } | undefined;
  if (move) {
    // The rule's whole document, from the NSG read (ARM replaces a rule with what is PUT).
    const current = (await clients.network.networkSecurityGroups.get(resourceGroup, nsg)).securityRules ?? [];
    const original = current.find((r) => r.name?.toLowerCase() === move.rule.toLowerCase());
    if (!original || original.priority !== move.from)
      throw new Error(`cannot contain: rule ${move.rule} moved meanwhile; contain again`);
    const after = { ...writableRule(original), priority: move.to };
    await clients.network.securityRules.createOrUpdate(resourceGroup, nsg, original.name!, after, {
      ...clients.lro,
      onResponse: ids.capture,
    });
    moved = { rule: original.name!, before: original, after };
  }
  await clients.network.securityRules.createOrUpdate(resourceGroup, nsg, CONTAIN_RULE_NAME, document, {
    ...clients.lro,
    onResponse: ids.capture,
  });
  await clients.network.networkSecurityGroups.updateTags(
    resourceGroup,
    nsg,
    { tags: withContainedTag(p.tags, tag) },
    { onResponse: ids.capture },
  );

  const reread = await clients.network.networkSecurityGroups.get(resourceGroup, nsg);
  const rules = reread.securityRules ?? [];
  const written = rules.find((r) => r.name?.toLowerCase() === CONTAIN_RULE_NAME);
  if (!written || JSON.stringify(ruleShape(written)) !== JSON.stringify(ruleShape(document))) {
    throw new Error(`containment not verified: ${CONTAIN_RULE_NAME} is missing or not as written on the re-read`);
  }
  const earlier = rules.filter(
    (r) => r.direction === 'Inbound' && r.access === 'Allow' && r.priority !== undefined && r.priority < priority,
  );
  if (earlier.length > 0) {
    throw new Error(
      `containment not verified: Allow rule(s) ${earlier.map((r) => `${r.name} (${r.priority})`).join(', ')} come before the deny-all rule`,
    );
  }
  if (reread.tags?.[CONTAINED_TAG] !== tag) throw new Error('containment not verified: the tag was not written');
  return {
    before: {
      rule: CONTAIN_RULE_NAME,
      existed: existing !== undefined,
      tag: p.tags[CONTAINED_TAG] ?? null,
      ...(moved ? { moved: { rule: moved.rule, priority: move!.from, document: ruleShape(moved.before) } } : {}),
    },
    after: {
      rule: CONTAIN_RULE_NAME,
      priority,
      document: ruleShape(written),
      tag,
      ...(moved ? { moved: { rule: moved.rule, priority: move!.to, document: ruleShape(moved.after) } } : {}),
    },
    requestIds: ids.list('SecurityRules_CreateOrUpdate+NetworkSecurityGroups_UpdateTags'),
  };
}
