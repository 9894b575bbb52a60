/**
 * How a backend serves reads sent at once, measured without the bot or any SDK: k bare HTTP reads of the scenario's
 * kind, sent together, against one alone. A backend that serves in parallel (S3, EC2, ARM) answers k reads in about
 * one round trip; moto (one Python process) and the ARM emulator (one Node process) take longer the more there are.
 * From it, a scenario's "backend floor": the ratio a client that costs nothing would show with the same calls in the
 * same waves on this backend.
 */
import http from 'node:http';
import https from 'node:https';
import { median, type TimedCall } from './stats.js';

/** One bare read: resolves when the answer's last byte is in; rejects on a status other than 200. */
export type BareRead = () => Promise<void>;

export interface Parallelism {
  /** The read, for the report. */
  call: string;
  /** factor[k] = median time of k reads sent at once / median time of one (factor[1] = 1). */
  factor: number[];
}

/** k = 1..maxK, interleaved round by round so that drift on a shared VM falls on every k alike. */
export async function measureParallelism(
  call: string,
  read: BareRead,
  maxK: number,
  rounds: number,
): Promise<Parallelism> {
  const times: number[][] = Array.from({ length: maxK + 1 }, () => []);
  for (let w = 0; w < 5; w++) await read();
  for (let r = 0; r < rounds; r++)
    for (let k = 1; k <= maxK; k++) {
      const t = performance.now();
      await Promise.all(Array.from({ length: k }, read));
      times[k]!.push(performance.now() - t);
    }
  const one = median(times[1]!);
  return { call, factor: times.map((t, k) => (k === 0 ? 0 : median(t) / one)) };
}

/** factor[k], extended past what was measured by the last step (each extra read costs what the last one did). */
export function factorOf(p: Parallelism, k: number): number {
  const f = p.factor;
  const max = f.length - 1;
  if (k <= max) return f[k]!;
  const step = max >= 2 ? f[max]! - f[max - 1]! : 1;
  return f[max]! + (k - max) * step;
}

/**
 * The calls of one run in waves: a wave starts with the first call sent after every earlier call had ended (the bot's
 * levels: reads, then writes, then the verifying reads). The number of calls in each.
 */
export function waves(calls: readonly TimedCall[]): number[] {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const out: number[] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const c of sorted) {
    if (c.start >= end) out.push(0);
    out[out.length - 1]! += 1;
    end = Math.max(end, c.end);
  }
  return out;
}

/** Σ over waves of factor(calls in the wave) / depth: the lowest ratio these calls allow on this backend. */
export function backendFloor(p: Parallelism, counts: readonly number[], depth: number): number {
  return counts.reduce((sum, k) => sum + factorOf(p, k), 0) / depth;
}

/** A bare GET (or a POST with a body) whose answer is read to the end; a keep-alive agent like the SDKs'. */
export function bareRead(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {},
): BareRead {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, ...(opts.ca ? { ca: opts.ca } : {}) })
    : new http.Agent({ keepAlive: true });
  const request = secure ? https.request : http.request;
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = request(u, { method: opts.method ?? 'GET', agent, headers: { ...opts.headers } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(opts.body);
    });
}
