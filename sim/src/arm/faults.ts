/** Fault injection settings. Rates are probabilities per ARM request, drawn from a seeded PRNG. */
export interface ArmFaultSettings {
  /** Share of requests answered 429 TooManyRequests with `Retry-After`. */
  throttleRate?: number;
  /** Share of requests answered 500 InternalServerError. */
  errorRate?: number;
  /** Added delay before every response. */
  latencyMs?: number;
  /** PRNG seed, so a run that throttled request 7 throttles request 7 again. */
  seed?: number;
  /** Seconds sent in `Retry-After` on 429 (default 0, so SDK retries do not slow tests). */
  retryAfterSeconds?: number;
}

export type ArmFaultKind = 'throttle' | 'error';

export interface ArmFaultMatch {
  method?: string;
  /** Case-insensitive substring of the request path. */
  pathIncludes?: string;
}

/** mulberry32: tiny, fast, and deterministic for a given seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private settings: ArmFaultSettings = {};
  private random = prng(1);
  private readonly queued: { kind: ArmFaultKind; match: ArmFaultMatch }[] = [];

  set(settings: ArmFaultSettings): void {
    this.settings = { ...settings };
    this.random = prng(settings.seed ?? 1);
  }

  /** Queue faults for the next `count` matching requests, ahead of any rate-based ones. */
  inject(kind: ArmFaultKind, count = 1, match: ArmFaultMatch = {}): void {
    for (let i = 0; i < count; i++) this.queued.push({ kind, match });
  }

  reset(): void {
    this.set({});
    this.queued.length = 0;
  }

  get latencyMs(): number {
    return this.settings.latencyMs ?? 0;
  }

  get retryAfterSeconds(): number {
    return this.settings.retryAfterSeconds ?? 0;
  }

  /** Decides the fault (if any) for one request. Consumes PRNG draws only when rates are set. */
  draw(method: string, path: string): ArmFaultKind | undefined {
    const i = this.queued.findIndex(
      ({ match }) =>
        (!match.method || match.method.toUpperCase() === method.toUpperCase()) &&
        (!match.pathIncludes || path.toLowerCase().includes(match.pathIncludes.toLowerCase())),
    );
    if (i >= 0) return this.queued.splice(i, 1)[0]!.kind;
    const { throttleRate = 0, errorRate = 0 } = this.settings;
    if (throttleRate <= 0 && errorRate <= 0) return undefined;
    const r = this.random();
    if (r < throttleRate) return 'throttle';
    if (r < throttleRate + errorRate) return 'error';
    return undefined;
  }
}
