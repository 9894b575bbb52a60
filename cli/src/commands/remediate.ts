import { handleTargets, RULE_NAMES, type RuleName, type Target } from '@reflex/core';
import { EXIT, exitCodeOf } from '../report.js';
import type { Session } from '../session.js';
import { type CommandContext, printReport } from './run.js';
import { manualTrigger, resourceRef, UsageError } from './target.js';

export interface RemediateOptions {
  rule?: string[];
  dryRun?: boolean;
}

/** `reflex remediate <id>`: read now, decide by the policy, fix (or ticket, in dry-run), verify, audit. */
export async function remediateCommand(
  id: string,
  opts: RemediateOptions,
  session: Session,
  ctx: CommandContext,
): Promise<number> {
  const rules = (opts.rule ?? []).map((r) => {
    if (!(RULE_NAMES as readonly string[]).includes(r))
      throw new UsageError(`unknown rule ${JSON.stringify(r)}; rules: ${RULE_NAMES.join(', ')}`);
    return r as RuleName;
  });
  const ref = resourceRef(id, session);
  const trigger = manualTrigger('remediate', session, opts.dryRun ? { dryRun: true } : {});
  const target: Target = { ref, trigger, ...(rules.length ? { rules } : {}) };
  const report = await handleTargets(trigger.eventId, [target], session.policy, session.ports(ref.cloud));
  printReport(report, session, ctx);
  const gone = report.outcomes.length === 1 && report.outcomes[0]!.status === 'ignored';
  return gone ? EXIT.badInput : exitCodeOf(report.outcomes);
}
