import { contain } from '@reflex/core';
import { EXIT } from '../report.js';
import type { Session } from '../session.js';
import { type CommandContext, printReport } from './run.js';
import { manualTrigger, requireReason, resourceRef } from './target.js';

export interface ContainOptions {
  reason?: string;
  dryRun?: boolean;
  quarantineGroup?: string;
}

/**
 * `reflex contain <id> --reason`: isolate an instance, lock down a bucket or storage account, shut a group or
 * NSG. Audited with its "before", so `reflex undo` puts it back.
 */
export async function containCommand(
  id: string,
  opts: ContainOptions,
  session: Session,
  ctx: CommandContext,
): Promise<number> {
  const reason = requireReason(opts.reason, 'contain');
  const ref = resourceRef(id, session);
  const trigger = manualTrigger('contain', session, { reason, ...(opts.dryRun ? { dryRun: true } : {}) });
  const started = performance.now();
  const contained = await contain(
    { ref, trigger },
    session.ports(ref.cloud),
    opts.quarantineGroup ? { quarantineGroup: opts.quarantineGroup } : {},
  );
  const outcome = { ...contained, durationMs: Math.round(performance.now() - started) };
  printReport({ outcomes: [outcome] }, session, ctx);
  if (outcome.status === 'fixed') return EXIT.ok;
  return outcome.status === 'ignored' ? EXIT.badInput : EXIT.open;
}
