/** Small statistics for the harness: percentiles, linear fits, and the critical path of timed calls. */

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/** Least-squares line y = a + b·x, with R². */
export function linearFit(xs: readonly number[], ys: readonly number[]): { a: number; b: number; r2: number } {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const b = sxx === 0 ? 0 : sxy / sxx;
  const a = my - b * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { a, b, r2 };
}

/** One HTTP request as the client saw it: from handing it to the HTTP layer to the last byte of the answer. */
export interface TimedCall {
  label: string;
  start: number;
  end: number;
}

export interface CriticalPath {
  /** The longest chain of strictly sequential calls (each starts after the previous one ended). */
  depth: number;
  /** The chain of sequential calls with the most time in calls, and that time (ms). */
  callMs: number;
  chain: string[];
}

/**
 * Calls overlapping in time ran in parallel; a call that started after another ended waited for it (or could have).
 * depth = the most calls in one such chain; callMs = the most call time in one chain (what a perfectly fast bot
 * would still have to wait for).
 */
export function criticalPath(calls: readonly TimedCall[]): CriticalPath {
  const sorted = [...calls].sort((x, y) => x.start - y.start);
  const count: number[] = [];
  const time: number[] = [];
  const prevTime: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const c = sorted[i]!;
    let bestCount = 0;
    let bestTime = 0;
    let bestPrev = -1;
    for (let j = 0; j < i; j++) {
      if (sorted[j]!.end > c.start) continue;
      bestCount = Math.max(bestCount, count[j]!);
      if (time[j]! > bestTime) {
        bestTime = time[j]!;
        bestPrev = j;
      }
    }
    count.push(bestCount + 1);
    time.push(bestTime + (c.end - c.start));
    prevTime.push(bestPrev);
  }
  if (sorted.length === 0) return { depth: 0, callMs: 0, chain: [] };
  let last = 0;
  for (let i = 1; i < time.length; i++) if (time[i]! > time[last]!) last = i;
  const chain: string[] = [];
  for (let i = last; i >= 0; i = prevTime[i]!) chain.unshift(sorted[i]!.label);
  return { depth: Math.max(...count), callMs: time[last]!, chain };
}

/** The longest chain (by count) as labels, for diagnosis: which calls waited for which. */
export function deepestChain(calls: readonly TimedCall[]): string[] {
  const sorted = [...calls].sort((x, y) => x.start - y.start);
  const count: number[] = [];
  const prev: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let best = 0;
    let bestPrev = -1;
    for (let j = 0; j < i; j++) {
      if (sorted[j]!.end > sorted[i]!.start) continue;
      if (count[j]! > best) {
        best = count[j]!;
        bestPrev = j;
      }
    }
    count.push(best + 1);
    prev.push(bestPrev);
  }
  if (sorted.length === 0) return [];
  let last = 0;
  for (let i = 1; i < count.length; i++) if (count[i]! > count[last]!) last = i;
  const chain: string[] = [];
  for (let i = last; i >= 0; i = prev[i]!) chain.unshift(sorted[i]!.label);
  return chain;
}

/** The statistical mode (most frequent value); ties go to the larger. */
export function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount || (c === bestCount && v > best)) [best, bestCount] = [v, c];
  return best;
}
