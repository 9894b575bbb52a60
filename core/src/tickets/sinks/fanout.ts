import { errorMessage } from '../../errors.js';
import type { TicketSink } from '../sinks.js';
import type { Ticket } from '../ticket.js';
import { TicketSinkError } from './retry.js';

export interface NamedSink {
  name: string;
  sink: TicketSink;
}

/** What a fan-out returns besides the joined `ref`: each sink's ref, and each failure. */
export interface FanOutResult {
  ref?: string;
  refs: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * Sends each ticket to every sink at once; one sink failing never stops the others. `ref` lists every sink's ref
 * (`jira:SEC-12 github:#7`) and, when some failed, `servicenow:failed`; the messages are in `errors`. It rejects
 * when no sink answered and at least one failed (so the engine reports the failure instead of a ref).
 */
export class FanOutTicketSink implements TicketSink {
  /**
   * Absent when no sink can close a ticket (JSON lines only), so the engine does not look up a ticket for every
   * compliant finding of a sweep only to learn that none can be closed.
   */
  readonly resolve?: (dedupeKey: string, note: string) => Promise<FanOutResult | null>;

  constructor(readonly sinks: NamedSink[]) {
    if (sinks.some((s) => s.sink.resolve)) this.resolve = (dedupeKey, note) => this.resolveAll(dedupeKey, note);
  }

  get names(): string[] {
    return this.sinks.map((s) => s.name);
  }

  async file(ticket: Ticket): Promise<FanOutResult> {
    const settled = await Promise.allSettled(this.sinks.map((s) => s.sink.file(ticket)));
    return (
      this.combine(
        'filing the ticket',
        settled.map((s) => (s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason })),
        ticket.dedupeKey,
      ) ?? { refs: {}, errors: {} }
    );
  }

  private async resolveAll(dedupeKey: string, note: string): Promise<FanOutResult | null> {
    const settled = await Promise.allSettled(
      this.sinks.map((s) => (s.sink.resolve ? s.sink.resolve(dedupeKey, note) : Promise.resolve(null))),
    );
    return this.combine(
      'resolving the ticket',
      settled.map((s) => (s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason })),
      dedupeKey,
    );
  }

  private combine(
    what: string,
    results: ({ ok: true; value: { ref?: string } | null } | { ok: false; error: unknown })[],
    dedupeKey: string,
  ): FanOutResult | null {
    const refs: Record<string, string> = {};
    const errors: Record<string, string> = {};
    let answered = 0;
    results.forEach((r, i) => {
      const name = this.sinks[i]!.name;
      if (!r.ok) errors[name] = errorMessage(r.error);
      else if (r.value) {
        answered++;
        refs[name] = r.value.ref ?? dedupeKey;
      }
    });
    const failed = Object.keys(errors);
    if (answered === 0) {
      if (failed.length === 0) return null;
      throw new TicketSinkError(
        failed.join('+'),
        `${what} failed: ${failed.map((n) => errors[n]).join('; ')}`,
        undefined,
        1,
        true,
      );
    }
    const parts = [...Object.entries(refs).map(([n, ref]) => (ref.startsWith(`${n}:`) ? ref : `${n}:${ref}`))];
    parts.push(...failed.map((n) => `${n}:failed`));
    return { ref: parts.join(' '), refs, errors };
  }
}

/** A sink that is configured but cannot work (a secret is missing): every call rejects at once, with why. */
export class UnavailableTicketSink implements TicketSink {
  constructor(
    readonly name: string,
    readonly problem: string,
  ) {}
  file(): Promise<{ ref?: string }> {
    return Promise.reject(new TicketSinkError(this.name, this.problem, undefined, 0, false));
  }
  resolve(): Promise<{ ref?: string } | null> {
    return Promise.reject(new TicketSinkError(this.name, this.problem, undefined, 0, false));
  }
}
