/**
 * Blast radius: at most `limit` enforced fixes per scope (account or subscription) per window. Past it,
 * findings are ticketed instead. The store is a port so that a cloud table (DynamoDB, Azure Table) can
 * hold the count across function instances.
 */
export interface BlastRadiusStore {
  /** Counts one enforcement if the scope is under its limit; atomically, so concurrent instances agree. */
  tryAcquire(scope: string, now: Date, windowMs: number, limit: number): Promise<{ allowed: boolean; count: number }>;
}

/** In-process store: a sliding window of timestamps per scope. */
export class InMemoryBlastRadiusStore implements BlastRadiusStore {
  private readonly events = new Map<string, number[]>();

  async tryAcquire(scope: string, now: Date, windowMs: number, limit: number) {
    const t = now.getTime();
    const recent = (this.events.get(scope) ?? []).filter((at) => at > t - windowMs);
    const allowed = recent.length < limit;
    if (allowed) recent.push(t);
    this.events.set(scope, recent);
    return { allowed, count: recent.length };
  }
}

/** Per container, per store: the counter used while the shared store cannot be reached. */
const fallbacks = new WeakMap<BlastRadiusStore, InMemoryBlastRadiusStore>();

/**
 * `store.tryAcquire`, or, when the store fails, the same limit counted in this container only (an outage of the
 * state table must not block every fix, nor lift the limit): `storeDown` then says why, for the alarm.
 */
export async function acquireBlastRadius(
  store: BlastRadiusStore,
  scope: string,
  now: Date,
  windowMs: number,
  limit: number,
): Promise<{ allowed: boolean; count: number; storeDown?: unknown }> {
  try {
    return await store.tryAcquire(scope, now, windowMs, limit);
  } catch (err) {
    const local = fallbacks.get(store) ?? new InMemoryBlastRadiusStore();
    fallbacks.set(store, local);
    return { ...(await local.tryAcquire(scope, now, windowMs, limit)), storeDown: err };
  }
}
