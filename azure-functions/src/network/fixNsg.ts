import type { SecurityRule } from '@azure/arm-network';
import {
  type CallDescription,
  describeRule,
  type FirewallPosture,
  type Fix,
  type IngressRule,
  type Step,
  type StepSettlement,
  UnsupportedResourceError,
} from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { RequestIds } from '../arm/requestIds.js';
import type { ContainmentNote } from '../containment.js';
import { containNsg, describeNsgContainment } from './containNsg.js';
import { nsgLocation, rawRuleOf } from './readNsg.js';
import type { RuleWrite } from './securityRule.js';
import { leavePending, type PendingWrite } from './verifyNsg.js';

type RevokeIngress = Extract<Fix, { type: 'revoke-ingress' }>;

type RawLookup = (name: string) => SecurityRule | undefined;

const PRIORITY_MIN = 100;
const PRIORITY_MAX = 4096;

function azureProtocol(protocol: string, fallback: SecurityRule['protocol']): SecurityRule['protocol'] {
  const known: Record<string, string> = { all: '*', tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp', esp: 'Esp', ah: 'Ah' };
  return known[protocol] ?? fallback ?? '*';
}

/** The rule document for `r`, starting from the rule ARM holds so destination, source ports and description survive. */
function securityRuleFor(r: IngressRule, base: SecurityRule | undefined): SecurityRule {
  const prefixes = r.sources.filter((s) => s.kind !== 'application-security-group').map((s) => s.value);
  const groups = r.sources.filter((s) => s.kind === 'application-security-group').map((s) => ({ id: s.value }));
  const ports =
    r.ports.length === 0 ? ['*'] : r.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`));
  const rule: SecurityRule = {
    protocol: azureProtocol(r.protocol, base?.protocol),
    access: r.access === 'deny' ? 'Deny' : 'Allow',
    direction: r.direction === 'outbound' ? 'Outbound' : 'Inbound',
    priority: r.priority ?? base?.priority,
    ...(r.description || base?.description ? { description: r.description ?? base?.description } : {}),
    // ARM refuses a rule that sets both the single and the plural form of a field: write exactly one.
    ...(base?.sourcePortRanges?.length
      ? { sourcePortRanges: base.sourcePortRanges }
      : { sourcePortRange: base?.sourcePortRange ?? '*' }),
    ...(base?.destinationAddressPrefixes?.length
      ? { destinationAddressPrefixes: base.destinationAddressPrefixes }
      : base?.destinationApplicationSecurityGroups?.length
        ? { destinationApplicationSecurityGroups: base.destinationApplicationSecurityGroups }
        : { destinationAddressPrefix: base?.destinationAddressPrefix ?? '*' }),
    ...(ports.length === 1 ? { destinationPortRange: ports[0] } : { destinationPortRanges: ports }),
    ...(prefixes.length === 1 ? { sourceAddressPrefix: prefixes[0] } : {}),
    ...(prefixes.length > 1 ? { sourceAddressPrefixes: prefixes } : {}),
    ...(groups.length > 0 ? { sourceApplicationSecurityGroups: groups } : {}),
  };
  return rule;
}

/**
 * The calls that carry out a revoke-ingress fix: delete a rule that keeps nothing, rewrite it in place when it
 * keeps sources or allow-listed ports, and create any further narrowed rule at a free priority next to the
 * original (never a priority another rule in the same direction holds). Never a competing Deny rule.
 */
export function planRuleWrites(
  fix: RevokeIngress,
  p: FirewallPosture,
  raw: RawLookup = (n) => rawRuleOf(p, n),
): RuleWrite[] {
  const names = new Set(p.rules.map((r) => r.id.toLowerCase()));
  const taken = new Map<string, Set<number>>();
  for (const r of p.rules) {
    if (r.priority === undefined) continue;
    const set = taken.get(r.direction) ?? new Set<number>();
    set.add(r.priority);
    taken.set(r.direction, set);
  }
  const freePriorityNear = (direction: string, priority: number): number => {
    const used = taken.get(direction) ?? new Set<number>();
    for (let d = 1; d <= PRIORITY_MAX - PRIORITY_MIN; d++) {
      for (const candidate of [priority + d, priority - d]) {
        if (candidate >= PRIORITY_MIN && candidate <= PRIORITY_MAX && !used.has(candidate)) {
          used.add(candidate);
          taken.set(direction, used);
          return candidate;
        }
      }
    }
    throw new UnsupportedResourceError(`no free ${direction} priority left in ${p.ref.name}`);
  };
  const freeName = (base: string): string => {
    let name = base.slice(0, 70);
    for (let i = 2; names.has(name.toLowerCase()); i++) name = `${base.slice(0, 66)}-${i}`;
    names.add(name.toLowerCase());
    return name;
  };

  const writes: RuleWrite[] = [];
  for (const change of fix.changes) {
    const before = change.before;
    const base = raw(before.id);
    const [first, ...extra] = change.after;
    if (!first) {
      writes.push({ op: 'delete', name: before.id, before });
      continue;
    }
    writes.push({
      op: 'update',
      name: before.id,
      before,
      rule: securityRuleFor({ ...first, priority: before.priority }, base),
    });
    for (const rule of extra) {
      const priority = freePriorityNear(before.direction, before.priority ?? PRIORITY_MIN);
      writes.push({
        op: 'create',
        name: freeName(`${before.id}-public-${rule.protocol}`),
        rule: securityRuleFor(
          { ...rule, priority, description: `Reflex: allow-listed public ports split from ${before.id}` },
          base,
        ),
      });
    }
  }
  return writes;
}

function cliArgs(rule: SecurityRule): string[] {
  // az takes a list flag's values as separate arguments; an empty list is one empty argument.
  const list = (one: string | undefined, many: string[] | undefined) => {
    const values = many?.length ? many : one ? [one] : [];
    return values.length ? values : [''];
  };
  return [
    '--priority',
    String(rule.priority),
    '--direction',
    String(rule.direction),
    '--access',
    String(rule.access),
    '--protocol',
    String(rule.protocol),
    '--source-address-prefixes',
    ...list(rule.sourceAddressPrefix, rule.sourceAddressPrefixes),
    '--destination-port-ranges',
    ...list(rule.destinationPortRange, rule.destinationPortRanges),
  ];
}

export function describeNsgFix(fix: Fix, p: FirewallPosture): CallDescription[] {
  if (fix.type === 'isolate') return describeNsgContainment(p);
  if (fix.type !== 'revoke-ingress') return [];
  const { resourceGroup: g, nsg } = nsgLocation(p.ref);
  return planRuleWrites(fix, p).map((w): CallDescription => {
    const id = `${p.ref.id}/securityRules/${w.name}`;
    const where = ['--resource-group', g, '--nsg-name', nsg, '--name', w.name];
    if (w.op === 'delete') {
      return {
        api: `DELETE ${id} (SecurityRules_Delete)`,
        argv: ['az', 'network', 'nsg', 'rule', 'delete', ...where],
        permission: 'Microsoft.Network/networkSecurityGroups/securityRules/delete',
      };
    }
    return {
      api: `PUT ${id} (SecurityRules_CreateOrUpdate)`,
      argv: ['az', 'network', 'nsg', 'rule', w.op, ...where, ...cliArgs(w.rule)],
      permission: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
    };
  });
}

/**
 * Applies revoke-ingress steps. Writes to one NSG go one at a time: ARM serialises updates of an NSG and
 * answers a concurrent one with AnotherOperationInProgress, so each write waits for the previous write's
 * long-running operation to end (a Failed one fails the step it belongs to). The last write's operation is left
 * pending for the verifying read (verifyNsg.ts), which folds its completion into the re-read.
 */
export async function applyNsgSteps(
  clients: ArmClients,
  steps: Step[],
  p: FirewallPosture,
  containment: { note?: ContainmentNote; now?: Date } = {},
): Promise<StepSettlement[]> {
  const { resourceGroup, nsg } = nsgLocation(p.ref);
  const rules = clients.network.securityRules;
  const out: StepSettlement[] = [];
  let last: (PendingWrite & { step: number }) | undefined;
  /** Lets the previous write's operation end before the next write; its failure fails its own step. */
  const afterPrevious = async (step: number): Promise<void> => {
    const previous = last;
    last = undefined;
    if (!previous) return;
    try {
      await previous.poller.pollUntilDone();
    } catch (error) {
      if (previous.step === step) throw error;
      out[previous.step] = { ok: false, error };
    }
  };
  for (const [index, step] of steps.entries()) {
    const fix = step.fix;
    try {
      if (fix.type === 'isolate') {
        await afterPrevious(index);
        out.push({
          ok: true,
          result: await containNsg(clients, step, p, containment.note, containment.now ?? new Date()),
        });
        continue;
      }
      if (fix.type !== 'revoke-ingress')
        throw new UnsupportedResourceError(`fix ${fix.type} does not apply to a network security group`);
      // A posture built elsewhere has no raw rules: fetch them, so the rewrite starts from ARM's document.
      const fetched = new Map<string, SecurityRule>();
      for (const c of fix.changes) {
        if (!rawRuleOf(p, c.before.id)) fetched.set(c.before.id, await rules.get(resourceGroup, nsg, c.before.id));
      }
      const ids = new RequestIds();
      const options = { ...clients.lro, onResponse: ids.capture };
      const after: unknown[] = [];
      for (const write of planRuleWrites(fix, p, (n) => rawRuleOf(p, n) ?? fetched.get(n))) {
        await afterPrevious(index);
        const poller =
          write.op === 'delete'
            ? rules.delete(resourceGroup, nsg, write.name, options)
            : rules.createOrUpdate(resourceGroup, nsg, write.name, write.rule, options);
        await poller.submitted();
        last = { write, poller, step: index };
        // What Reflex wrote (undo compares the rule's shape with it); the last write's result is not awaited here.
        if (write.op === 'delete') after.push({ deleted: write.name });
        else if (write.op === 'update') after.push({ updated: write.name, rule: write.rule });
        else after.push({ created: write.name, rule: write.rule });
      }
      out.push({
        ok: true,
        result: {
          before: fix.changes.map((c) => ({
            rule: c.before.id,
            was: describeRule(c.before),
            document: rawRuleOf(p, c.before.id) ?? fetched.get(c.before.id),
          })),
          after,
          requestIds: ids.list('SecurityRules_CreateOrUpdate/Delete'),
        },
      });
    } catch (error) {
      out.push({ ok: false, error });
    }
  }
  if (last) leavePending(p, last);
  return out;
}
