/**
 * Sweep scale on the ARM emulator (own process, validation off): the real timer function at its fixed concurrency,
 * its own parts (sweepTargets + the engine) at other concurrencies, and the same reads straight through the SDK:
 * the three listings, then per storage account its GET, containers and diagnostic settings. NSGs get no read of
 * their own: the bot judges them from the listing (the seeded ones are compliant), and so does the backend run.
 */
import { reflexSweep, sweepTargets } from '@reflex/azure';
import { handleTargets } from '@reflex/core';
import {
  API,
  type AzureWorld,
  accountId,
  invocation,
  nsgId,
  privateRule,
  RG,
  SUB,
  startAzureWorld,
  storageAccountBody,
} from './azureWorld.js';
import { answered, mapLimit, medianRun, projectMs, type SweepRun } from './sweep.js';
import type { SweepPlan } from './sweepAws.js';

async function seedTo(w: AzureWorld, have: { n: number }, total: number): Promise<void> {
  const list: { id: string; body: Record<string, unknown>; apiVersion: string }[] = [];
  for (let i = have.n; i < total; i++) {
    if (i % 2 === 0) list.push({ id: accountId(`stsweep${i}`), body: storageAccountBody(), apiVersion: API.storage });
    else
      list.push({
        id: nsgId(`nsg-sweep-${i}`),
        body: { location: 'westeurope', properties: { securityRules: [privateRule()] } },
        apiVersion: API.network,
      });
  }
  await w.seed(list);
  have.n = total;
}

/** Interleaved bot/backend runs per concurrency level (odd: the median is one of them). */
const RUNS = 9;

const TIMER = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: undefined as never };

async function botSweep(w: AzureWorld, concurrency: number, fixed: number) {
  const bot = w.configure('dry-run');
  w.log.clear();
  const t = performance.now();
  let failed = 0;
  if (concurrency === fixed) {
    const report = await reflexSweep(TIMER, invocation('reflexSweep'));
    failed = report.outcomes.filter((o) => o.status === 'failed').length + (report.errors?.length ?? 0);
  } else {
    const context = invocation('reflexSweep');
    const eventId = `sweep:${context.invocationId}:${SUB}`;
    const targets = await sweepTargets(bot, SUB, eventId);
    const report = await handleTargets(eventId, targets, bot.policy!, bot.ports(context), concurrency);
    failed = report.outcomes.filter((o) => o.status === 'failed').length;
  }
  return { ms: performance.now() - t, calls: w.log.take().length, failed };
}

async function backendSweep(w: AzureWorld, concurrency: number) {
  const c = w.configure('dry-run').clients.for(SUB);
  w.log.clear();
  const t = performance.now();
  const drain = async (items: AsyncIterable<unknown>) => {
    for await (const _ of items);
  };
  const accounts: string[] = [];
  for await (const a of c.storage.storageAccounts.list()) if (a.name) accounts.push(a.name);
  // The NSG documents come whole in the listing; the bot reads none again when none has an open rule.
  await drain(c.network.networkSecurityGroups.listAll());
  await drain(c.network.virtualNetworks.listAll());
  // An account's three reads at once, as the bot sends them (their addresses follow from the account's id).
  const work = accounts.map((name) => async () => {
    await Promise.all([
      c.storage.storageAccounts.getProperties(RG, name),
      drain(c.storage.blobContainers.list(RG, name)),
      answered(drain(c.monitor.diagnosticSettings.list(`${accountId(name)}/blobServices/default`))),
    ]);
  });
  await mapLimit(work, concurrency, (job) => job());
  return { ms: performance.now() - t, calls: w.log.take().length };
}

export async function runSweepAzure(plan: SweepPlan & { fixedConcurrency: number }): Promise<SweepRun[]> {
  const started = performance.now();
  const w = await startAzureWorld();
  const runs: SweepRun[] = [];
  const have = { n: 0 };
  const push = (run: SweepRun) => {
    runs.push(run);
    plan.progress(
      `${run.cloud} sweep ${run.who.padEnd(7)} n=${String(run.resources).padStart(5)} c=${String(run.concurrency).padStart(2)} ` +
        `${(run.ms / 1000).toFixed(1)} s  ${run.perSecond.toFixed(0)}/s  calls ${run.calls}` +
        (run.throttleRate ? `  throttled ${run.retries}` : '') +
        (run.failed ? `  FAILED ${run.failed}` : ''),
    );
  };
  const via = (c: number) =>
    c === plan.fixedConcurrency
      ? 'reflexSweep timer function (its fixed SWEEP_CONCURRENCY)'
      : "sweepTargets + handleTargets (the timer function's parts) at this concurrency";
  try {
    const first = plan.counts[0]!;
    await seedTo(w, have, first);
    await botSweep(w, plan.growthConcurrency, plan.fixedConcurrency);
    await backendSweep(w, plan.growthConcurrency);
    // A run here lasts well under a second, so one GC pause (or a neighbour on the VM) moves it by percent: after a
    // warm-up of each at this concurrency, RUNS interleaved runs of each, and the median of each is compared.
    for (const c of plan.concurrencies) {
      const bots: Awaited<ReturnType<typeof botSweep>>[] = [];
      const bases: Awaited<ReturnType<typeof backendSweep>>[] = [];
      await botSweep(w, c, plan.fixedConcurrency);
      await backendSweep(w, c);
      for (let k = 0; k < RUNS; k++) {
        bots.push(await botSweep(w, c, plan.fixedConcurrency));
        bases.push(await backendSweep(w, c));
      }
      const bot = medianRun(bots);
      push({
        cloud: 'azure',
        who: 'bot',
        resources: first,
        concurrency: c,
        ms: bot.ms,
        perSecond: first / (bot.ms / 1000),
        calls: bot.calls,
        throttleRate: 0,
        failed: bot.failed,
        via: via(c),
      });
      const base = medianRun(bases);
      push({
        cloud: 'azure',
        who: 'backend',
        resources: first,
        concurrency: c,
        ms: base.ms,
        perSecond: first / (base.ms / 1000),
        calls: base.calls,
        throttleRate: 0,
        failed: 0,
        via: 'SDK reads only',
      });
    }
    {
      const { count, concurrency, rate } = plan.throttle;
      await w.arm.clearCalls();
      await w.arm.send('setFaults', { throttleRate: rate, seed: 7, retryAfterSeconds: 0 });
      const throttled = await botSweep(w, concurrency, plan.fixedConcurrency);
      const stats = await w.arm.send<{ faults: number }>('stats');
      await w.arm.send('setFaults', {});
      push({
        cloud: 'azure',
        who: 'bot',
        resources: count,
        concurrency,
        ms: throttled.ms,
        perSecond: count / (throttled.ms / 1000),
        calls: throttled.calls,
        throttleRate: rate,
        retries: stats.faults,
        failed: throttled.failed,
        via: `${via(concurrency)}; 30 % 429 (Retry-After: 0)`,
      });
    }
    const growthPoints: [number, number][] = [
      [
        first,
        runs.find((r) => r.who === 'bot' && r.concurrency === plan.growthConcurrency && !r.throttleRate)?.ms ?? 0,
      ],
    ];
    for (const count of plan.counts.slice(1)) {
      const projected = performance.now() - started + projectMs(growthPoints, count);
      if (projected > plan.budgetMs) {
        plan.progress(
          `azure sweep n=${count}: skipped, projected to end at ${(projected / 1000).toFixed(0)} s (budget ${(plan.budgetMs / 1000).toFixed(0)} s)`,
        );
        continue;
      }
      await seedTo(w, have, count);
      const bot = await botSweep(w, plan.growthConcurrency, plan.fixedConcurrency);
      growthPoints.push([count, bot.ms]);
      push({
        cloud: 'azure',
        who: 'bot',
        resources: count,
        concurrency: plan.growthConcurrency,
        ms: bot.ms,
        perSecond: count / (bot.ms / 1000),
        calls: bot.calls,
        throttleRate: 0,
        failed: bot.failed,
        via: via(plan.growthConcurrency),
      });
    }
    return runs;
  } finally {
    await w.stop();
  }
}
