/**
 * Event ledger: remembers which event ids were handled, so a redelivered event does nothing the second
 * time without even a read. Correctness does not depend on it (the engine re-reads state), cost does.
 */
export interface EventLedger {
  /** Was this event handled (to the end, without a transient failure) within the retention? */
  has(eventId: string, now: Date): Promise<boolean>;
  remember(eventId: string, now: Date): Promise<void>;
}

export class InMemoryEventLedger implements EventLedger {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly retentionMs = 24 * 3_600_000,
    private readonly maxEntries = 10_000,
  ) {}

  async has(eventId: string, now: Date): Promise<boolean> {
    const at = this.seen.get(eventId);
    return at !== undefined && at > now.getTime() - this.retentionMs;
  }

  async remember(eventId: string, now: Date): Promise<void> {
    this.seen.delete(eventId);
    this.seen.set(eventId, now.getTime());
    if (this.seen.size > this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
