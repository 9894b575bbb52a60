import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.js';

/**
 * Per-resource leases across containers: a row in the state table (DynamoDB conditional put, Azure Table entity
 * with ETag) that names its holder and an expiry. Whoever holds the lease on a resource is the only one reading,
 * deciding and writing it, so N concurrent events on one resource converge to one fix: the first fixes, the
 * others read the fixed state under the lease after it and find nothing to do. The expiry frees a resource whose
 * holder died; the holder renews while it works.
 */
export interface LeaseStore {
  /** Takes the lease on `key` for `ttlMs` when it is free, expired, or already ours (`token`). */
  tryAcquire(key: string, token: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Extends our lease; false when it is no longer ours (it expired and someone took it). */
  renew(key: string, token: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if it is still ours. */
  release(key: string, token: string): Promise<void>;
}

export class InMemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, { token: string; until: number }>();

  async tryAcquire(key: string, token: string, now: Date, ttlMs: number) {
    const held = this.leases.get(key);
    if (held && held.token !== token && held.until > now.getTime()) return false;
    this.leases.set(key, { token, until: now.getTime() + ttlMs });
    return true;
  }

  async renew(key: string, token: string, now: Date, ttlMs: number) {
    const held = this.leases.get(key);
    if (held?.token !== token) return false;
    held.until = now.getTime() + ttlMs;
    return true;
  }

  async release(key: string, token: string) {
    if (this.leases.get(key)?.token === token) this.leases.delete(key);
  }
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal. Default 60 s; renewed every third of it while the work runs. */
  ttlMs?: number;
  /** How long to wait for a busy lease before giving up (the outcome is then transient). Default 120 s. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** The lease a piece of work runs under, as seen from inside it (the adapter checks it before trusting a read). */
export interface HeldLease {
  key: string;
  token: string;
  /** Set when a renewal found the lease taken by someone else: reads made under it are no longer trusted. */
  lost: boolean;
}

const current = new AsyncLocalStorage<HeldLease[]>();

/**
 * The token of the lease this call chain holds on `key`, or undefined (none, lost, or no lease store). An adapter
 * may trust a read made under a token for a write made under the same token: nobody else wrote in between.
 */
export function leaseToken(key: string): string | undefined {
  const held = current.getStore()?.find((l) => l.key === key);
  return held && !held.lost ? held.token : undefined;
}

/** Work that needed a lease another holder kept for the whole wait: worth a retry of the event. */
export class LeaseBusyError extends Error {
  override readonly name = 'LeaseBusyError';
}

/** A lease-busy failure (by name: it may cross module instances). */
export const isLeaseBusy = (err: unknown): boolean => (err as { name?: unknown } | null)?.name === 'LeaseBusyError';

export type LeaseRun<T> =
  | { status: 'done'; value: T }
  /** Another holder kept it for the whole wait. */
  | { status: 'busy'; waitedMs: number }
  /** The store failed: the work ran without a lease (a state-store outage must not block every fix). */
  | { status: 'unleased'; value: T; error: string };

/**
 * Runs `work` holding the lease on `key`: waits with jittered exponential backoff while another holder has it,
 * renews it while the work runs, releases it after. A store that fails runs the work without the lease.
 */
export async function withLease<T>(
  store: LeaseStore,
  key: string,
  work: () => Promise<T>,
  opts: LeaseOptions = {},
): Promise<LeaseRun<T>> {
  const ttlMs = opts.ttlMs ?? 60_000;
  const maxWaitMs = opts.maxWaitMs ?? 120_000;
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const token = randomUUID();
  const started = Date.now();
  let pause = 20;
  for (;;) {
    let got: boolean;
    try {
      got = await store.tryAcquire(key, token, now(), ttlMs);
    } catch (err) {
      return { status: 'unleased', value: await work(), error: errorMessage(err) };
    }
    if (got) break;
    const waited = Date.now() - started;
    if (waited >= maxWaitMs) return { status: 'busy', waitedMs: waited };
    await sleep(Math.min(pause * (0.5 + Math.random()), maxWaitMs - waited));
    pause = Math.min(pause * 2, 1000);
  }
  const held: HeldLease = { key, token, lost: false };
  const renewal = setInterval(
    () => {
      store.renew(key, token, now(), ttlMs).then(
        (ok) => {
          if (!ok) held.lost = true;
        },
        () => undefined, // a renewal that fails is tried again at the next tick; the lease lasts until its expiry
      );
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  renewal.unref?.();
  try {
    const value = await current.run([...(current.getStore() ?? []), held], work);
    return { status: 'done', value };
  } finally {
    clearInterval(renewal);
    // A release that fails leaves the lease to its expiry.
    await store.release(key, token).catch(() => undefined);
  }
}
