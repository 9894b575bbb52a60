import { appendFile } from 'node:fs/promises';
import type { Ticket } from './ticket.js';

/** Where tickets go. One open ticket per dedupe key. */
export interface TicketSink {
  /**
   * Opens a ticket, or comments on the open one with the same dedupe key; returns its reference, and the
   * systems that failed (a fan-out to several) by name.
   */
  file(ticket: Ticket): Promise<{ ref?: string; errors?: Record<string, string> }>;
  /**
   * Comments on and closes the open ticket for this key, if there is one (the finding was fixed, by Reflex or
   * by someone else). Returns null when no ticket was open.
   */
  resolve?(dedupeKey: string, note: string): Promise<{ ref?: string } | null>;
}

/** One JSON object per line, to a file or to any writer (stdout by default). */
export class JsonLinesTicketSink implements TicketSink {
  constructor(readonly target: string | ((line: string) => void) = (l) => process.stdout.write(l)) {}

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
  readonly resolved: { dedupeKey: string; note: string }[] = [];
  async file(ticket: Ticket): Promise<{ ref?: string }> {
    this.tickets.push(ticket);
    return { ref: ticket.dedupeKey };
  }
  async resolve(dedupeKey: string, note: string) {
    const open =
      this.tickets.some((t) => t.dedupeKey === dedupeKey) && !this.resolved.some((r) => r.dedupeKey === dedupeKey);
    if (!open) return null;
    this.resolved.push({ dedupeKey, note });
    return { ref: dedupeKey };
  }
}
