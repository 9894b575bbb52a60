/**
 * Sweep scale on moto: the real EventBridge handler answering a scheduled event (list everything, read every
 * bucket and group, rules, tickets in dry-run) against the same reads made straight through the SDK.
 */
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
} from '@aws-sdk/client-s3';
import { type AwsClients, createEventsHandler, TransientFailure } from '@reflex/aws';
import { JsonLinesTicketSink, type Report } from '@reflex/core';
import {
  type AwsWorld,
  benchPolicy,
  fixture,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  quietProductionLogger,
  startAwsWorld,
  timedClients,
} from './awsWorld.js';
import { answered, mapLimit, medianRun, projectMs, type SweepRun } from './sweep.js';
import { CallLog } from './timing.js';

export interface SweepPlan {
  /** Resource counts (half buckets, half groups), ascending. */
  counts: number[];
  /** Concurrency levels, measured at the first count (bot and backend). */
  concurrencies: number[];
  /** Concurrency for the growth runs. */
  growthConcurrency: number;
  throttle: { count: number; concurrency: number; rate: number };
  /** Skip a growth point whose projected time would pass this (ms since the sweep started). */
  budgetMs: number;
  progress: (line: string) => void;
}

async function seedTo(w: AwsWorld, have: { buckets: number; groups: number }, total: number): Promise<void> {
  const buckets = Math.floor(total / 2);
  const groups = total - buckets;
  const jobs: (() => Promise<unknown>)[] = [];
  for (let i = have.buckets; i < buckets; i++)
    jobs.push(() => w.setup.s3.send(new CreateBucketCommand({ Bucket: `reflex-sweep-${String(i).padStart(5, '0')}` })));
  for (let i = have.groups; i < groups; i++)
    jobs.push(() =>
      w.setup.ec2.send(new CreateSecurityGroupCommand({ GroupName: `reflex-sweep-${i}`, Description: 'sweep' })),
    );
  await mapLimit(jobs, 32, (job) => job());
  have.buckets = buckets;
  have.groups = groups;
}

async function botSweep(
  clients: AwsClients,
  log: CallLog,
  concurrency: number,
): Promise<{ ms: number; calls: number; failed: number; report: Report }> {
  const handler = createEventsHandler({
    policy: benchPolicy('dry-run'),
    clients: () => clients,
    tickets: new JsonLinesTicketSink(() => {}),
    logger: quietProductionLogger(),
    account: MOTO_ACCOUNT_ID,
    concurrency,
  });
  log.clear();
  const t = performance.now();
  let report: Report;
  try {
    report = await handler(fixture('schedule.json'));
  } catch (err) {
    if (!(err instanceof TransientFailure)) throw err;
    report = err.report;
  }
  const ms = performance.now() - t;
  const failed = report.outcomes.filter((o) => o.status === 'failed').length + (report.errors?.length ?? 0);
  return { ms, calls: log.take().length, failed, report };
}

/**
 * The reads the bot makes, straight through the SDK: per bucket `concurrency` at a time; the groups with their rules
 * from two paged listings (a compliant group is not read again).
 */
async function backendSweep(c: AwsClients, log: CallLog, concurrency: number): Promise<{ ms: number; calls: number }> {
  log.clear();
  const t = performance.now();
  const buckets: string[] = [];
  let token: string | undefined;
  do {
    const page = await c.s3.send(new ListBucketsCommand({ BucketRegion: MOTO_REGION, ContinuationToken: token }));
    for (const b of page.Buckets ?? []) if (b.Name) buckets.push(b.Name);
    token = page.ContinuationToken;
  } while (token);
  // Groups: one paged listing of the groups (their permissions are their rules), as the bot screens them (see
  // listGroupPostures).
  let NextToken: string | undefined;
  do NextToken = (await c.ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 1000, NextToken }))).NextToken;
  while (NextToken);
  const work: (() => Promise<unknown>)[] = [
    ...buckets.map(
      (Bucket) => () =>
        Promise.all([
          answered(c.s3.send(new GetPublicAccessBlockCommand({ Bucket }))),
          answered(c.s3.send(new GetBucketAclCommand({ Bucket }))),
          answered(c.s3.send(new GetBucketPolicyCommand({ Bucket }))),
          answered(c.s3.send(new GetBucketEncryptionCommand({ Bucket }))),
          answered(c.s3.send(new GetBucketLoggingCommand({ Bucket }))),
          answered(c.s3.send(new GetBucketTaggingCommand({ Bucket }))),
        ]),
    ),
  ];
  await mapLimit(work, concurrency, (job) => job());
  return { ms: performance.now() - t, calls: log.take().length };
}

/** Interleaved bot/backend runs per concurrency level (odd: the median is one of them). */
const RUNS = 3;

export async function runSweepAws(plan: SweepPlan): Promise<SweepRun[]> {
  const started = performance.now();
  const w = await startAwsWorld();
  const runs: SweepRun[] = [];
  const have = { buckets: 0, groups: 0 };
  // Separate clients per role, so connection pools and retry quotas are not shared between bot and backend runs.
  const botLog = new CallLog();
  const botClients = timedClients(w.moto.endpoint, botLog);
  const baseLog = new CallLog();
  const baseClients = timedClients(w.moto.endpoint, baseLog);
  const push = (run: SweepRun) => {
    runs.push(run);
    plan.progress(
      `${run.cloud} sweep ${run.who.padEnd(7)} n=${String(run.resources).padStart(5)} c=${String(run.concurrency).padStart(2)} ` +
        `${(run.ms / 1000).toFixed(1)} s  ${run.perSecond.toFixed(0)}/s  calls ${run.calls}` +
        (run.throttleRate ? `  throttled ${run.retries}` : '') +
        (run.failed ? `  FAILED ${run.failed}` : ''),
    );
  };
  try {
    const first = plan.counts[0]!;
    await seedTo(w, have, first);
    // Warm both paths once (connections, JIT) on the smallest estate.
    await botSweep(botClients, botLog, plan.growthConcurrency);
    // One run of ~10 s on moto moves by ±15 % with the machine: RUNS interleaved runs of each (alternating which
    // goes first), and the median of each is compared.
    for (const c of plan.concurrencies) {
      const bots: Awaited<ReturnType<typeof botSweep>>[] = [];
      const bases: Awaited<ReturnType<typeof backendSweep>>[] = [];
      for (let k = 0; k < RUNS; k++) {
        if (k % 2 === 1) bases.push(await backendSweep(baseClients, baseLog, c));
        bots.push(await botSweep(botClients, botLog, c));
        if (k % 2 === 0) bases.push(await backendSweep(baseClients, baseLog, c));
      }
      const bot = medianRun(bots);
      push({
        cloud: 'aws',
        who: 'bot',
        resources: first,
        concurrency: c,
        ms: bot.ms,
        perSecond: first / (bot.ms / 1000),
        calls: bot.calls,
        throttleRate: 0,
        failed: Math.max(...bots.map((b) => b.failed)),
        via: `events handler, scheduled event, BotDeps.concurrency (median of ${RUNS})`,
      });
      const base = medianRun(bases);
      push({
        cloud: 'aws',
        who: 'backend',
        resources: first,
        concurrency: c,
        ms: base.ms,
        perSecond: first / (base.ms / 1000),
        calls: base.calls,
        throttleRate: 0,
        failed: 0,
        via: `SDK reads only (median of ${RUNS})`,
      });
    }
    // 30 % throttling through the fault proxy, at the first count.
    {
      const viaLog = new CallLog();
      const via = timedClients(w.proxy.endpoint, viaLog);
      const { count, concurrency, rate } = plan.throttle;
      await seedTo(w, have, Math.max(count, first));
      await w.proxy.clearCalls();
      await w.proxy.send('setFaults', { throttleRate: rate, seed: 7 });
      const throttled = await botSweep(via, viaLog, concurrency);
      const stats = await w.proxy.send<{ faults: { throttle: number } }>('stats');
      await w.proxy.send('setFaults', { throttleRate: 0 });
      push({
        cloud: 'aws',
        who: 'bot',
        resources: count,
        concurrency,
        ms: throttled.ms,
        perSecond: count / (throttled.ms / 1000),
        calls: throttled.calls,
        throttleRate: rate,
        retries: stats.faults.throttle,
        failed: throttled.failed,
        via: 'events handler through the fault proxy, 30 % SlowDown/RequestLimitExceeded',
      });
    }
    // Growth: the bot at one concurrency, count after count.
    const growthPoints: [number, number][] = [
      [
        first,
        runs.find((r) => r.who === 'bot' && r.concurrency === plan.growthConcurrency && !r.throttleRate)?.ms ?? 0,
      ],
    ];
    for (const count of plan.counts.slice(1)) {
      const seedCost = (count - have.buckets - have.groups) * 3;
      const projected = performance.now() - started + seedCost + projectMs(growthPoints, count);
      if (projected > plan.budgetMs) {
        plan.progress(
          `aws sweep n=${count}: skipped, projected to end at ${(projected / 1000).toFixed(0)} s (budget ${(plan.budgetMs / 1000).toFixed(0)} s)`,
        );
        continue;
      }
      await seedTo(w, have, count);
      const bot = await botSweep(botClients, botLog, plan.growthConcurrency);
      growthPoints.push([count, bot.ms]);
      push({
        cloud: 'aws',
        who: 'bot',
        resources: count,
        concurrency: plan.growthConcurrency,
        ms: bot.ms,
        perSecond: count / (bot.ms / 1000),
        calls: bot.calls,
        throttleRate: 0,
        failed: bot.failed,
        via: 'events handler, scheduled event',
      });
    }
    return runs;
  } finally {
    await w.stop();
  }
}
