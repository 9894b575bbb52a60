import type { TicketSink } from '../sinks.js';
import type { Ticket } from '../ticket.js';

/** An open ticket in a tracker: its human reference (`SEC-12`, `INC0010001`, `#7`) and whatever the sink needs. */
export interface OpenTicket {
  ref: string;
}

/**
 * The shared shape of Jira, ServiceNow and GitHub: one open ticket per dedupe key. `file` looks the key up
 * fresh (a duplicate ticket is the worse mistake) and comments on a hit; `resolve`, called for every compliant
 * resource of a sweep, first consults a short-lived index of all open Reflex tickets (one listing per
 * `indexTtlMs`), so a key with nothing open costs no request at all most of the time. Calls for the same key are
 * serialised within the process, so two deliveries of one event cannot open two tickets here.
 */
export abstract class IssueTrackerSink<Open extends OpenTicket> implements TicketSink {
  private readonly queues = new Map<string, Promise<unknown>>();
  private index: { at: number; open: Map<string, Open> } | undefined;
  private indexLoading: Promise<Map<string, Open>> | undefined;

  constructor(
    readonly name: string,
    private readonly indexTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The open ticket for this key, read fresh from the tracker. */
  protected abstract findOpen(dedupeKey: string): Promise<Open | null>;
  /** Every open Reflex ticket by dedupe key (bounded). */
  protected abstract listOpen(): Promise<Map<string, Open>>;
  protected abstract create(ticket: Ticket): Promise<Open>;
  /** A recurrence: adds a comment to the open ticket. */
  protected abstract comment(open: Open, ticket: Ticket): Promise<void>;
  /** Comments with `note` and closes / resolves the ticket. */
  protected abstract close(open: Open, dedupeKey: string, note: string): Promise<void>;

  file(ticket: Ticket): Promise<{ ref?: string }> {
    return this.serialised(ticket.dedupeKey, async () => {
      const open = await this.findOpen(ticket.dedupeKey);
      if (open) {
        await this.comment(open, ticket);
        this.index?.open.set(ticket.dedupeKey, open);
        return { ref: open.ref };
      }
      const created = await this.create(ticket);
      this.index?.open.set(ticket.dedupeKey, created);
      return { ref: created.ref };
    });
  }

  resolve(dedupeKey: string, note: string): Promise<{ ref?: string } | null> {
    return this.serialised(dedupeKey, async () => {
      if (this.indexTtlMs > 0 && !(await this.openIndex()).has(dedupeKey)) return null;
      // A hit (or no index): confirm on a fresh read before writing.
      const open = await this.findOpen(dedupeKey);
      if (!open) {
        this.index?.open.delete(dedupeKey);
        return null;
      }
      await this.close(open, dedupeKey, note);
      this.index?.open.delete(dedupeKey);
      return { ref: open.ref };
    });
  }

  private async openIndex(): Promise<Map<string, Open>> {
    if (this.index && this.now() - this.index.at < this.indexTtlMs) return this.index.open;
    this.indexLoading ??= this.listOpen()
      .then((open) => {
        this.index = { at: this.now(), open };
        return open;
      })
      .finally(() => {
        this.indexLoading = undefined;
      });
    return this.indexLoading;
  }

  private serialised<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }
}
