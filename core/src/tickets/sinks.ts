import { appendFile } from 'node:fs/promises';
import type { Ticket } from './ticket.js';

/** Where tickets go. `file` returns a reference to the ticket in the target system, if it has one. */
export interface TicketSink {
  file(ticket: Ticket): Promise<{ ref?: string }>;
}

/** One JSON object per line, to a file or to any writer (stdout by default). */
export class JsonLinesTicketSink implements TicketSink {
  constructor(private readonly target: string | ((line: string) => void) = (l) => process.stdout.write(l)) {}

  async file(ticket: Ticket): Promise<{ ref?: string }> {
    const line = `${JSON.stringify({ kind: 'reflex.ticket', ...ticket })}\n`;
    if (typeof this.target === 'string') await appendFile(this.target, line, 'utf8');
    else this.target(line);
    return { ref: ticket.dedupeKey };
  }
}

/** Keeps tickets in memory (tests, the demo). */
export class MemoryTicketSink implements TicketSink {
  readonly tickets: Ticket[] = [];
  async file(ticket: Ticket): Promise<{ ref?: string }> {
    this.tickets.push(ticket);
    return { ref: ticket.dedupeKey };
  }
}
