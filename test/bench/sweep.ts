/** What a sweep measurement found, for both clouds. */
export interface SweepRun {
  cloud: 'aws' | 'azure';
  /** `bot` = the real handler's sweep; `backend` = the same reads, straight SDK calls, no bot. */
  who: 'bot' | 'backend';
  /** Buckets + groups (AWS) or storage accounts + NSGs (Azure). */
  resources: number;
  concurrency: number;
  ms: number;
  perSecond: number;
  /** HTTP attempts the client made. */
  calls: number;
  throttleRate: number;
  /** Throttled answers the SDK retried (the proxy's / emulator's fault count). */
  retries?: number;
  /** Outcomes that failed (after the SDK's retries). */
  failed: number;
  /** How the sweep was driven (handler, or the handler's own parts at another concurrency). */
  via: string;
}

/** The run of median time among `runs` (an odd count makes it one of them). */
export function medianRun<T extends { ms: number }>(runs: readonly T[]): T {
  return [...runs].sort((a, b) => a.ms - b.ms)[runs.length >> 1]!;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Settles a promise to nothing: the backend run reads like the bot, and a 404 is an answer, not a failure. */
export const answered = (p: Promise<unknown>) =>
  p.then(
    () => true,
    (err: unknown) => {
      const status =
        (err as { $metadata?: { httpStatusCode?: number }; statusCode?: number })?.$metadata?.httpStatusCode ??
        (err as { statusCode?: number }).statusCode;
      if (status === 404) return true;
      throw err;
    },
  );

/**
 * How long a sweep of `count` resources should take, from the runs so far ([count, ms], ascending): the growth seen
 * between the last two (never less than linear), else linear from the one; with a 30 % margin.
 */
export function projectMs(points: readonly [number, number][], count: number): number {
  const last = points.at(-1);
  if (!last || last[1] <= 0) return 0;
  const prev = points.at(-2);
  const exponent = prev && prev[1] > 0 ? Math.max(1, Math.log(last[1] / prev[1]) / Math.log(last[0] / prev[0])) : 1;
  return last[1] * (count / last[0]) ** exponent * 1.3;
}
