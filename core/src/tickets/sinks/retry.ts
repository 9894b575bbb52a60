import { ReflexError } from '../../errors.js';

/**
 * How a sink retries one call to a ticket system. Transient failures (network errors, timeouts, 429, 5xx) are
 * retried with exponential backoff and full jitter; anything else fails at once.
 */
export interface RetryOptions {
  /** Total tries, the first included. */
  attempts: number;
  /** Delay before the first retry; doubles for each further one (then jittered). */
  baseDelayMs: number;
  /** No single wait is longer; a `Retry-After` longer than this gives up instead of blocking a remediation. */
  maxDelayMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 300, maxDelayMs: 5_000, timeoutMs: 10_000 };

/** A ticket system call that failed for good: names the sink, the call, the HTTP status and the tries made. */
export class TicketSinkError extends ReflexError {
  constructor(
    readonly sink: string,
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super('TicketSinkFailed', `${sink}: ${message}`, options);
  }
}

/** One failed try as the retry loop sees it. */
export interface AttemptFailure {
  transient: boolean;
  status?: number;
  /** From `Retry-After`. */
  retryAfterMs?: number;
  /** One line for the final error: `HTTP 503 Service Unavailable: <body>` or `network error: ...`. */
  detail: string;
}

/** An HTTP response outside 2xx, thrown by the attempt so the loop can classify it. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}${body ? `: ${snippet(body)}` : ''}`);
  }
}

export function snippet(body: string, max = 300): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** 429 and 5xx are transient; so is GitHub's 403 when it says the rate limit ran out. */
export function classifyStatus(status: number, headers: Headers | Record<string, unknown>): boolean {
  if (status === 429 || status >= 500) return true;
  if (status === 403) {
    const get = (name: string) =>
      headers instanceof Headers ? headers.get(name) : (headers[name] as string | number | undefined)?.toString();
    const retryAfter = get('retry-after');
    return (retryAfter !== undefined && retryAfter !== null) || get('x-ratelimit-remaining') === '0';
  }
  return false;
}

/** Classifies what a `fetch`-based attempt threw. */
export function classifyFetchError(err: unknown): AttemptFailure {
  if (err instanceof HttpStatusError) {
    return {
      transient: classifyStatus(err.status, err.headers),
      status: err.status,
      retryAfterMs: parseRetryAfter(err.headers.get('retry-after')),
      detail: err.message,
    };
  }
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return { transient: true, detail: 'timed out' };
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  // fetch rejects with a TypeError for every network failure (refused, reset, DNS).
  return { transient: err instanceof TypeError, detail: `network error: ${message}${cause}` };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, a failure is not transient, or the tries run out; then rejects with a
 * TicketSinkError naming the sink, the call (`what`) and the last status. `hint` is added to auth failures.
 */
export async function withRetry<T>(
  sink: string,
  what: string,
  options: RetryOptions,
  attempt: (n: number) => Promise<T>,
  classify: (err: unknown) => AttemptFailure,
  hint?: string,
): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const attempts = Math.max(1, options.attempts);
  for (let n = 1; ; n++) {
    let failure: AttemptFailure;
    let error: unknown;
    try {
      return await attempt(n);
    } catch (err) {
      error = err;
      failure = classify(err);
    }
    const authHint =
      hint && (failure.status === 401 || failure.status === 403) && !failure.transient ? `; ${hint}` : '';
    if (!failure.transient) {
      throw new TicketSinkError(
        sink,
        `${what} failed: ${failure.detail} (not retried${authHint})`,
        failure.status,
        n,
        false,
        { cause: error },
      );
    }
    if (n >= attempts) {
      throw new TicketSinkError(
        sink,
        `${what} failed after ${n} attempt${n > 1 ? 's' : ''}: ${failure.detail}`,
        failure.status,
        n,
        true,
        { cause: error },
      );
    }
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > options.maxDelayMs) {
      throw new TicketSinkError(
        sink,
        `${what} failed: ${failure.detail}; Retry-After ${Math.ceil(failure.retryAfterMs / 1000)}s is longer than the ${options.maxDelayMs} ms this call may wait (gave up after ${n} attempt${n > 1 ? 's' : ''})`,
        failure.status,
        n,
        true,
        { cause: error },
      );
    }
    const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (n - 1));
    // Full jitter, but honour Retry-After as a floor.
    const delay = Math.max(failure.retryAfterMs ?? 0, Math.round(backoff * (0.5 + random() / 2)));
    await sleep(delay);
  }
}
