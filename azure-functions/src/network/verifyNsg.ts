import type { NetworkSecurityGroup } from '@azure/arm-network';
import type { FirewallPosture, ResourceRef } from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { sameValue } from '../containment.js';
import { getNsg, nsgPosture, readNsg } from './readNsg.js';
import { type RuleWrite, ruleShape } from './securityRule.js';

/**
 * The SDK's poller of a started long-running operation. It is thenable: awaiting it (or returning it from an async
 * function) polls until done, so it is only ever passed around inside an object.
 */
export interface RulePoller {
  submitted(): Promise<void>;
  poll(): Promise<unknown>;
  pollUntilDone(): Promise<unknown>;
}

/** The last rule write of an apply: sent and accepted by ARM, its operation not awaited. */
export interface PendingWrite {
  write: RuleWrite;
  poller: RulePoller;
}

/** Keyed by the posture `apply` got, which the engine hands to `reread`: one entry per remediation. */
const pending = new WeakMap<FirewallPosture, PendingWrite>();

export function leavePending(p: FirewallPosture, w: PendingWrite): void {
  pending.set(p, w);
}

/**
 * The NSG shows the write done. A rule being written or deleted carries its own provisioningState (Updating,
 * Deleting) while its operation runs, so only absence, or Succeeded with the written content, counts.
 */
export function writeSettled(nsg: NetworkSecurityGroup, w: RuleWrite): boolean {
  if (nsg.provisioningState !== 'Succeeded') return false;
  const rule = nsg.securityRules?.find((r) => r.name?.toLowerCase() === w.name.toLowerCase());
  if (w.op === 'delete') return rule === undefined;
  return rule?.provisioningState === 'Succeeded' && sameValue(ruleShape(rule), ruleShape(w.rule));
}

/**
 * The verifying read of an NSG. With a write still pending: one GET (read → write → verify, depth 3). A GET that
 * shows the write settled verifies it: ARM shows a rule absent, or Succeeded with the new content, only once its
 * operation is done, and the NSG's own state is what `fixed` is judged on. Otherwise: poll the operation to the end
 * (a Failed operation throws, so the outcome is failed), then GET again.
 */
export async function rereadNsg(
  clients: ArmClients,
  ref: ResourceRef,
  before: FirewallPosture,
): Promise<FirewallPosture | null> {
  const w = pending.get(before);
  if (!w) return readNsg(clients, ref);
  pending.delete(before);
  const nsg = await getNsg(clients, ref);
  if (nsg && writeSettled(nsg, w.write)) return nsgPosture(ref, nsg);
  await w.poller.pollUntilDone();
  return readNsg(clients, ref);
}
