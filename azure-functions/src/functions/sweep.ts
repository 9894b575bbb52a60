import type { InvocationContext, Timer } from '@azure/functions';
import { handleTargets, refFromArmId, type Target } from '@reflex/core';
import { type Bot, bot } from '../bot.js';
import { type AzureReport, emptyReport, logOutcomes } from '../report.js';

/** At most this many resources are read and fixed at once, to stay well inside ARM's per-subscription limits. */
export const SWEEP_CONCURRENCY = 4;

/** Every storage account, NSG and virtual network in the subscription, as sweep targets. */
export async function sweepTargets(b: Bot, subscriptionId: string, eventId: string): Promise<Target[]> {
  const clients = b.clients.for(subscriptionId);
  const ids: string[] = [];
  for await (const a of clients.storage.storageAccounts.list()) if (a.id) ids.push(a.id);
  for await (const n of clients.network.networkSecurityGroups.listAll()) if (n.id) ids.push(n.id);
  for await (const v of clients.network.virtualNetworks.listAll()) if (v.id) ids.push(v.id);
  return ids.map((id) => ({ ref: refFromArmId(id), trigger: { source: 'sweep', eventId } }));
}

/** Sweeps the given subscriptions (default: REFLEX_SUBSCRIPTION_IDS). Resolves with the report. */
export async function sweep(context: InvocationContext, subscriptions?: string[]): Promise<AzureReport> {
  const b = bot();
  const report = emptyReport();
  if (!b.policy) {
    report.errors = [
      { code: 'InvalidPolicy', message: `policy is invalid, nothing done: ${b.policyProblems.join('; ')}` },
    ];
    return report;
  }
  const subs = subscriptions ?? b.subscriptions;
  if (subs.length === 0) {
    report.errors = [{ code: 'NoSubscription', message: 'set REFLEX_SUBSCRIPTION_IDS to the subscriptions to sweep' }];
    return report;
  }
  for (const sub of subs) {
    const eventId = `sweep:${context.invocationId}:${sub}`;
    try {
      const targets = await sweepTargets(b, sub, eventId);
      const r = await handleTargets(eventId, targets, b.policy, b.ports(context), SWEEP_CONCURRENCY);
      report.outcomes.push(...r.outcomes);
    } catch (err) {
      report.errors = [...(report.errors ?? []), { code: 'SweepFailed', message: `${sub}: ${String(err)}` }];
    }
  }
  logOutcomes(context, report.outcomes);
  return report;
}

/** Timer trigger: the periodic sweep catches what events missed. Never throws; the next tick tries again. */
export async function reflexSweep(_timer: Timer, context: InvocationContext): Promise<AzureReport> {
  const report = await sweep(context);
  for (const e of report.errors ?? []) context.error(JSON.stringify({ kind: 'reflex.sweep', ...e }));
  return report;
}
