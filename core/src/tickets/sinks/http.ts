import { classifyFetchError, DEFAULT_RETRY, HttpStatusError, type RetryOptions, withRetry } from './retry.js';

/** What every fetch-based sink takes besides its own settings: retry tuning and (for tests) a fetch. */
export interface HttpOptions {
  retry?: Partial<RetryOptions>;
  fetch?: typeof fetch;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as-is when a string; JSON-encoded otherwise. */
  body?: unknown;
  /** A short name of the call for errors, e.g. `POST /rest/api/3/issue`; defaults to method + path. */
  what?: string;
  /** Recomputed per attempt (e.g. a signature over a fresh timestamp). */
  headersPerAttempt?: (body: string | undefined) => Record<string, string>;
}

/** A small JSON-over-HTTP client with the shared retry policy; one per sink, named for its errors. */
export class HttpClient {
  readonly retry: RetryOptions;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly sink: string,
    options: HttpOptions = {},
    private readonly authHint?: string,
  ) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async send(call: HttpCall): Promise<HttpResponse> {
    const body =
      call.body === undefined ? undefined : typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
    const what = call.what ?? `${call.method} ${new URL(call.url).pathname}`;
    return withRetry(
      this.sink,
      what,
      this.retry,
      async () => {
        const res = await this.fetchImpl(call.url, {
          method: call.method,
          headers: {
            accept: 'application/json',
            'user-agent': 'reflex-ticket-sink',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...call.headers,
            ...call.headersPerAttempt?.(body),
          },
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(this.retry.timeoutMs),
        });
        const text = await res.text();
        if (!res.ok) throw new HttpStatusError(res.status, res.statusText, res.headers, text);
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        return { status: res.status, headers: res.headers, text, json };
      },
      classifyFetchError,
      this.authHint,
    );
  }
}

export function basicAuth(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;
}

/** Joins a configured base URL (with or without a trailing slash or a path prefix) and an API path. */
export function joinUrl(base: string, path: string, query?: Record<string, string>): string {
  const url = new URL(`${base.replace(/\/+$/, '')}${path}`);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}
