import type { NetworkSecurityGroup, SecurityRule } from '@azure/arm-network';
import type { AuditRecord, RestoreResult } from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { isNotFound } from '../arm/errors.js';
import { RequestIds } from '../arm/requestIds.js';
import { CONTAINED_TAG, differencesFrom, sameValue, show, withoutContainedTag } from '../containment.js';
import { CONTAIN_RULE_NAME } from './containNsg.js';
import { nsgLocation } from './readNsg.js';
import { ruleShape, writableRule } from './securityRule.js';

/** What applyNsgSteps records for a revoke-ingress step. */
interface RevokeBefore {
  rule: string;
  document?: SecurityRule;
}
type RevokeAfter =
  | { deleted: string }
  | { updated: string; rule: SecurityRule }
  | { created: string; rule: SecurityRule };

/** A rule containment moved off priority 100 to make room for the deny-all rule. */
interface MovedRule {
  rule: string;
  priority: number;
  document: Record<string, unknown>;
}
interface IsolateBefore {
  rule: string;
  existed: boolean;
  tag: string | null;
  moved?: MovedRule;
}
interface IsolateAfter {
  rule: string;
  priority: number;
  document: Record<string, unknown>;
  tag: string;
  moved?: MovedRule;
}

function byName(nsg: NetworkSecurityGroup): Map<string, SecurityRule> {
  return new Map((nsg.securityRules ?? []).map((r) => [(r.name ?? '').toLowerCase(), r]));
}

type Plan = { differences: string[]; writes: (() => Promise<unknown>)[] };

/**
 * Undo of a revoke-ingress step. Every rule must still be as Reflex left it: a deleted rule still absent, an
 * updated or created rule still as written. Then: created rules are deleted, updated rules get their original
 * document back, deleted rules are re-created with their original properties and priority — refused if another
 * rule took that priority meanwhile (ARM would refuse the duplicate, and moving it would change precedence).
 */
function planRevokeUndo(
  record: AuditRecord,
  current: Map<string, SecurityRule>,
  clients: ArmClients,
  ids: RequestIds,
): Plan {
  const { resourceGroup, nsg } = nsgLocation(record.resource);
  const rules = clients.network.securityRules;
  const before = (record.before as RevokeBefore[] | undefined) ?? [];
  const after = (record.after as RevokeAfter[] | undefined) ?? [];
  const original = new Map(before.map((b) => [b.rule.toLowerCase(), b.document]));
  const differences: string[] = [];
  const deletes: (() => Promise<unknown>)[] = [];
  const puts: (() => Promise<unknown>)[] = [];
  const opts = { ...clients.lro, onResponse: ids.capture };
  const createdNames = new Set(
    after.filter((a) => 'created' in a).map((a) => (a as { created: string }).created.toLowerCase()),
  );

  for (const a of after) {
    if ('deleted' in a) {
      const name = a.deleted;
      const doc = original.get(name.toLowerCase());
      const now = current.get(name.toLowerCase());
      if (!doc) {
        differences.push(`rule ${name}: the audit record has no original document to re-create it from`);
        continue;
      }
      if (now) {
        if (sameValue(ruleShape(now), ruleShape(doc))) continue; // already re-created as it was
        differences.push(
          `rule ${name}: Reflex deleted it, but a rule of that name exists again (${show(ruleShape(now))})`,
        );
        continue;
      }
      const holder = [...current.values()].find(
        (r) =>
          r.direction === doc.direction &&
          r.priority === doc.priority &&
          !createdNames.has((r.name ?? '').toLowerCase()),
      );
      if (holder) {
        differences.push(
          `rule ${name}: its priority ${doc.priority} (${doc.direction}) is now held by rule ${holder.name}; re-creating it would collide`,
        );
        continue;
      }
      puts.push(() => rules.createOrUpdate(resourceGroup, nsg, name, writableRule(doc), opts));
    } else {
      const name = 'created' in a ? a.created : a.updated;
      const now = current.get(name.toLowerCase());
      const wrote = ruleShape(a.rule);
      if (!now) {
        if ('created' in a) continue; // already gone
        differences.push(`rule ${name}: Reflex updated it, but it no longer exists`);
        continue;
      }
      const shape = ruleShape(now);
      if ('updated' in a) {
        const doc = original.get(name.toLowerCase());
        if (doc && sameValue(shape, ruleShape(doc))) continue; // already back as it was
        if (!doc) {
          differences.push(`rule ${name}: the audit record has no original document`);
          continue;
        }
        if (!sameValue(shape, wrote)) {
          differences.push(...differencesFrom(`rule ${name}`, shape, wrote));
          continue;
        }
        puts.push(() => rules.createOrUpdate(resourceGroup, nsg, name, writableRule(doc), opts));
      } else {
        if (!sameValue(shape, wrote)) {
          differences.push(...differencesFrom(`rule ${name}`, shape, wrote));
          continue;
        }
        deletes.push(() => rules.delete(resourceGroup, nsg, name, opts));
      }
    }
  }
  // Deleting the split rules first frees their priorities before the originals come back.
  return { differences, writes: [...deletes, ...puts] };
}

/** Undo of a containment: the deny-all rule (still as written) is deleted and the tag removed. */
function planIsolateUndo(
  record: AuditRecord,
  nsgDoc: NetworkSecurityGroup,
  current: Map<string, SecurityRule>,
  clients: ArmClients,
  ids: RequestIds,
): Plan {
  const { resourceGroup, nsg } = nsgLocation(record.resource);
  const before = record.before as IsolateBefore;
  const after = record.after as IsolateAfter;
  const differences: string[] = [];
  const writes: (() => Promise<unknown>)[] = [];
  const rule = current.get(CONTAIN_RULE_NAME);
  if (rule) {
    const shape = ruleShape(rule);
    if (!sameValue(shape, after.document))
      differences.push(...differencesFrom(`rule ${CONTAIN_RULE_NAME}`, shape, after.document));
    else if (!before.existed)
      writes.push(() =>
        clients.network.securityRules.delete(resourceGroup, nsg, CONTAIN_RULE_NAME, {
          ...clients.lro,
          onResponse: ids.capture,
        }),
      );
  }
  // A rule moved to make room goes back to its number once the deny-all rule has left it (written after it).
  if (before.moved && after.moved) {
    const movedNow = current.get(before.moved.rule.toLowerCase());
    if (!movedNow) differences.push(`rule ${before.moved.rule} (moved by the containment) no longer exists`);
    else if (!sameValue(ruleShape(movedNow), after.moved.document))
      differences.push(...differencesFrom(`rule ${before.moved.rule}`, ruleShape(movedNow), after.moved.document));
    else {
      const back = { ...writableRule(movedNow), priority: before.moved.priority };
      writes.push(() =>
        clients.network.securityRules.createOrUpdate(resourceGroup, nsg, movedNow.name!, back, {
          ...clients.lro,
          onResponse: ids.capture,
        }),
      );
    }
  }
  const tag = nsgDoc.tags?.[CONTAINED_TAG];
  if (tag !== undefined && tag !== after.tag && tag !== before.tag) {
    differences.push(`tag ${CONTAINED_TAG} is ${show(tag)} (Reflex wrote ${show(after.tag)}): another containment?`);
  }
  if (tag === after.tag) {
    writes.push(() =>
      clients.network.networkSecurityGroups.updateTags(
        resourceGroup,
        nsg,
        { tags: withoutContainedTag(nsgDoc.tags, before.tag) },
        { onResponse: ids.capture },
      ),
    );
  }
  return { differences, writes };
}

/** Restores one NSG step (revoke-ingress or isolate) of an audit record; with `check`, reads only. */
export async function restoreNsgStep(clients: ArmClients, record: AuditRecord, check: boolean): Promise<RestoreResult> {
  const { resourceGroup, nsg } = nsgLocation(record.resource);
  let doc: NetworkSecurityGroup;
  try {
    doc = await clients.network.networkSecurityGroups.get(resourceGroup, nsg);
  } catch (err) {
    if (isNotFound(err)) return { status: 'refused', differences: [`${record.resource.id} no longer exists`] };
    throw err;
  }
  const ids = new RequestIds();
  const current = byName(doc);
  const plan =
    record.fix.type === 'revoke-ingress'
      ? planRevokeUndo(record, current, clients, ids)
      : record.fix.type === 'isolate'
        ? planIsolateUndo(record, doc, current, clients, ids)
        : { differences: [`Reflex cannot undo ${record.fix.type} on a network security group`], writes: [] };
  if (plan.differences.length > 0) return { status: 'refused', differences: plan.differences };
  if (check) return { status: 'restorable', requestIds: [] };
  // One at a time: ARM serialises writes to one NSG.
  for (const write of plan.writes) await write();
  return { status: 'restored', requestIds: ids.list('SecurityRules_*') };
}
