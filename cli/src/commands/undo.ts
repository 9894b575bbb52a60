import { undo } from '@reflex/core';
import { EXIT, json, undoText } from '../report.js';
import { operator, type Session } from '../session.js';
import type { CommandContext } from './run.js';
import { requireReason, UsageError } from './target.js';

/**
 * `reflex undo <remediation-id> --reason`: puts back the recorded "before" of every step, only while the
 * resource still matches the recorded "after"; otherwise refuses and shows the difference.
 */
export async function undoCommand(
  remediationId: string,
  opts: { reason?: string },
  session: Session,
  ctx: CommandContext,
): Promise<number> {
  const reason = requireReason(opts.reason, 'undo');
  const records = await session.audit.byRemediation(remediationId);
  const first = records[0];
  if (!first) throw new UsageError(`no remediation ${remediationId} in the audit trail ${session.auditPath}`);
  const result = await undo(remediationId, session.audit, session.ports(first.resource.cloud), {
    reason,
    actor: operator(session.env),
  });
  if (session.opts.output === 'json') ctx.io.out(json({ ...result, resource: first.resource.id }));
  else ctx.io.out(`${undoText(result, ctx.style)}\n`);
  switch (result.status) {
    case 'undone':
    case 'already-undone':
      return EXIT.ok;
    case 'not-found':
      return EXIT.badInput;
    default:
      return EXIT.open;
  }
}
