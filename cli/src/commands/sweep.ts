import { randomUUID } from 'node:crypto';
import { sweepTargets as awsSweepTargets } from '@reflex/aws';
import { sweepTargets as azureSweepTargets, Bot } from '@reflex/azure';
import { type Cloud, mapLimit, type Outcome, remediate, type Target } from '@reflex/core';
import cliProgress from 'cli-progress';
import { exitCodeOf } from '../report.js';
import type { Session } from '../session.js';
import { type CommandContext, printReport } from './run.js';
import { UsageError } from './target.js';

/** Resources looked at together; the SDKs retry throttling on their own. */
const SWEEP_CONCURRENCY = 8;

/**
 * `reflex sweep --cloud aws|azure`: every bucket, group, trail, VPC and the account settings of one region
 * (AWS), or every storage account and NSG of one subscription (Azure), through the same engine as an event.
 */
export async function sweepCommand(
  opts: { cloud: Cloud; dryRun?: boolean },
  session: Session,
  ctx: CommandContext,
): Promise<number> {
  const eventId = `cli-sweep-${randomUUID()}`;
  let targets: Target[];
  if (opts.cloud === 'aws') {
    const region = session.region;
    const account = await session.awsAccount();
    targets = await awsSweepTargets(session.aws()(region), account, region, { source: 'sweep', eventId });
  } else {
    const sub =
      session.opts.subscription ?? session.env['AZURE_SUBSCRIPTION_ID'] ?? session.env['REFLEX_SUBSCRIPTION_ID'];
    if (!sub) throw new UsageError('sweep --cloud azure needs --subscription (or AZURE_SUBSCRIPTION_ID)');
    const lister = new Bot({ env: {}, connection: session.azure().connection });
    targets = await azureSweepTargets(lister, sub, eventId);
  }
  if (opts.dryRun) for (const t of targets) t.trigger = { ...t.trigger, dryRun: true };

  const ports = session.ports(opts.cloud);
  const bar =
    ctx.tty && session.opts.output !== 'json' && targets.length > 0
      ? new cliProgress.SingleBar(
          { format: 'sweep {bar} {value}/{total} {resource}', hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(targets.length, 0, { resource: '' });
  let outcomes: Outcome[];
  try {
    outcomes = (
      await mapLimit(targets, SWEEP_CONCURRENCY, async (t) => {
        const out = await remediate(t, session.policy, ports);
        bar?.increment({ resource: t.ref.name });
        return out;
      })
    ).flat();
  } finally {
    bar?.stop();
  }
  printReport({ outcomes }, session, ctx);
  return exitCodeOf(outcomes);
}
