import type { InvocationContext, Timer } from '@azure/functions';
import {
  countByStatus,
  type HandleOptions,
  handleTargets,
  outcomesToList,
  refFromArmId,
  type Target,
} from '@reflex/core';
import { type Bot, bot } from '../bot.js';
import { nsgPosture } from '../network/readNsg.js';
import { type AzureReport, emptyReport, logOutcomes } from '../report.js';

/**
 * By default at most this many resources are read and fixed at once, to stay well inside ARM's per-subscription
 * read limits (a token bucket refilled at ~25 reads/s per region: a sweep at 4 rarely drains it, one at 64 does).
 * `REFLEX_SWEEP_CONCURRENCY` sets another level.
 */
export const SWEEP_CONCURRENCY = 4;

/** The sweep's concurrency: `REFLEX_SWEEP_CONCURRENCY` (a whole number from 1 to 256), else SWEEP_CONCURRENCY. */
export function sweepConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['REFLEX_SWEEP_CONCURRENCY']?.trim();
  if (!raw) return SWEEP_CONCURRENCY;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : SWEEP_CONCURRENCY;
}

/**
 * How the engine handles a sweep's targets: each ARM call is already retried by the SDK (ARM_MAX_RETRIES, with
 * ARM's Retry-After); a resource that still failed transiently is read again in a later round, at half the
 * concurrency, after a pause, so a throttled subscription gets time to refill.
 */
export function sweepOptions(env: NodeJS.ProcessEnv = process.env): HandleOptions {
  return { concurrency: sweepConcurrency(env), retryRounds: 3, retryPauseMs: 2_000 };
}

/**
 * Every storage account, NSG and virtual network in the subscription, as sweep targets. An NSG's listing is its
 * whole document (security rules and tags, as its GET), so it goes along as the target's screen: the engine skips
 * the GET when no rule finds anything there, and decides a finding on a fresh GET. Storage accounts and VNets
 * carry none: their rules need what the listing lacks (containers, diagnostic settings; the watcher's flow logs).
 */
export async function sweepTargets(b: Bot, subscriptionId: string, eventId: string): Promise<Target[]> {
  const clients = b.clients.for(subscriptionId);
  const target = (id: string): Target => ({ ref: refFromArmId(id), trigger: { source: 'sweep', eventId } });
  const targets: Target[] = [];
  for await (const a of clients.storage.storageAccounts.list()) if (a.id) targets.push(target(a.id));
  for await (const n of clients.network.networkSecurityGroups.listAll()) {
    if (!n.id) continue;
    const t = target(n.id);
    // A document without its rule list is no screen: the engine reads the NSG rather than take it for no rules.
    targets.push(n.securityRules ? { ...t, screen: nsgPosture(t.ref, n) } : t);
  }
  for await (const v of clients.network.virtualNetworks.listAll()) if (v.id) targets.push(target(v.id));
  return targets;
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
      const r = await handleTargets(eventId, targets, b.policy, b.ports(context), sweepOptions(b.env));
      report.outcomes.push(...r.outcomes);
    } catch (err) {
      report.errors = [...(report.errors ?? []), { code: 'SweepFailed', message: `${sub}: ${String(err)}` }];
    }
  }
  // One entry with the counts; then the outcomes worth reading one by one (a sweep's compliant ones are counted only).
  context.info(JSON.stringify({ kind: 'reflex.sweep', counts: countByStatus(report.outcomes), subscriptions: subs }));
  logOutcomes(context, outcomesToList(report.outcomes, true));
  return report;
}

/** Timer trigger: the periodic sweep catches what events missed. Never throws; the next tick tries again. */
export async function reflexSweep(_timer: Timer, context: InvocationContext): Promise<AzureReport> {
  const report = await sweep(context);
  for (const e of report.errors ?? []) context.error(JSON.stringify({ kind: 'reflex.sweep', ...e }));
  return report;
}
