/**
 * Event ledger, claim-first: an event id is claimed atomically before anything is done for it, so a concurrent
 * duplicate delivery (another container, the same event) does nothing, not even a read, and cannot spend the
 * blast-radius budget. A claim is completed (`remember`) when the event was handled, or released when its work
 * failed transiently, so the platform's retry can claim it again. A claim whose holder died expires.
 * Correctness does not depend on the ledger (the engine re-reads state under a per-resource lease); a ledger that
 * cannot be reached is skipped (the engine logs it).
 */
export type Claim =
  /** Ours: go ahead. */
  | 'claimed'
  /** Handled to the end within the retention. */
  | 'handled'
  /** Another delivery holds an unexpired claim on it right now. */
  | 'in-progress';

export interface EventLedger {
  claim(eventId: string, now: Date): Promise<Claim>;
  /** The claimed event was handled: later deliveries within the retention do nothing. */
  remember(eventId: string, now: Date): Promise<void>;
  /** The claimed event's work failed transiently: free it for the retry. */
  release(eventId: string): Promise<void>;
}

/** How long a claim holds before it is taken to be abandoned: longer than any handler runs (Lambda: 15 min). */
export const CLAIM_TTL_MS = 15 * 60_000;

export class InMemoryEventLedger implements EventLedger {
  private readonly seen = new Map<string, { state: 'claimed' | 'handled'; until: number }>();

  constructor(
    private readonly retentionMs = 24 * 3_600_000,
    private readonly maxEntries = 10_000,
    private readonly claimTtlMs = CLAIM_TTL_MS,
  ) {}

  async claim(eventId: string, now: Date): Promise<Claim> {
    const entry = this.seen.get(eventId);
    if (entry && entry.until > now.getTime()) return entry.state === 'handled' ? 'handled' : 'in-progress';
    this.set(eventId, { state: 'claimed', until: now.getTime() + this.claimTtlMs });
    return 'claimed';
  }

  async remember(eventId: string, now: Date): Promise<void> {
    this.set(eventId, { state: 'handled', until: now.getTime() + this.retentionMs });
  }

  async release(eventId: string): Promise<void> {
    if (this.seen.get(eventId)?.state === 'claimed') this.seen.delete(eventId);
  }

  private set(eventId: string, entry: { state: 'claimed' | 'handled'; until: number }) {
    this.seen.delete(eventId);
    this.seen.set(eventId, entry);
    if (this.seen.size > this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
