import type { Report } from '@reflex/core';
import type { Io } from '../io.js';
import { json, outcomesTable, ticketsText, undoHints } from '../report.js';
import type { Session } from '../session.js';
import type { Style } from '../style.js';

/** What every command gets besides its own arguments. */
export interface CommandContext {
  io: Io;
  style: Style;
  /** Terminal width for table output; 0 when not a terminal (nothing is clipped). */
  width: number;
  tty: boolean;
}

/** The report as a table (one row per outcome, then tickets and undo hints) or as JSON (the report + tickets). */
export function printReport(report: Report, session: Session, ctx: CommandContext): void {
  const { io, style } = ctx;
  if (session.opts.output === 'json') {
    io.out(json({ ...report, ...(session.tickets.length ? { tickets: session.tickets } : {}) }));
    return;
  }
  if (report.outcomes.length > 0) io.out(`${outcomesTable(report.outcomes, style, ctx.width)}\n`);
  else io.out('nothing to report\n');
  if (session.tickets.length > 0) io.out(`\n${style.bold('Tickets')}\n${ticketsText(session.tickets, style)}\n`);
  const hints = undoHints(report.outcomes, style);
  if (hints) io.out(`\n${hints}\n`);
  for (const e of report.errors ?? []) io.err(`${style.red('error')} ${e.code}: ${e.message}\n`);
}
