/**
 * Timestamps every HTTP request a client makes, without touching the code under test: the AWS SDK's request
 * handler is wrapped (one entry per attempt, ending when the response body has been read), and Azure clients get
 * a per-retry pipeline policy (one entry per attempt; core-rest-pipeline reads the body before it resolves).
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TimedCall } from './stats.js';

export class CallLog {
  private entries: TimedCall[] = [];
  /** While false, requests are not recorded (setup traffic on shared clients). */
  recording = true;

  add(call: TimedCall): void {
    if (this.recording) this.entries.push(call);
  }
  take(): TimedCall[] {
    const out = this.entries;
    this.entries = [];
    return out;
  }
  clear(): void {
    this.entries = [];
  }
  get size(): number {
    return this.entries.length;
  }
}

interface HttpHandlerLike {
  handle(request: unknown, options?: unknown): Promise<{ response: { statusCode?: number; body?: unknown } }>;
}

interface AwsClientLike {
  config: { requestHandler?: unknown };
}

/** Wraps an AWS SDK v3 client's HTTP handler so that each attempt lands in `log`, labelled `service:Operation`. */
export function timeAwsClient(client: AwsClientLike, log: CallLog, service: string): void {
  const handler = client.config.requestHandler as HttpHandlerLike | undefined;
  if (!handler || typeof handler.handle !== 'function') throw new Error(`${service}: no request handler to time`);
  const original = handler.handle.bind(handler);
  handler.handle = async (request: unknown, options?: unknown) => {
    const label = `${service}:${operationOf(request)}`;
    const start = performance.now();
    const out = await original(request, options);
    const entry: TimedCall = { label, start, end: performance.now() };
    log.add(entry);
    const body = out.response.body as { once?: (event: string, cb: () => void) => void } | undefined;
    // The response counts as received when its last byte has been read.
    body?.once?.('end', () => {
      entry.end = performance.now();
    });
    return out;
  };
}

/** Wraps `client.send`, so that each SDK call (its retries included) lands in `log`, SDK CPU and all. */
export function timeAwsSends(client: { send: (...args: never[]) => Promise<unknown> }, log: CallLog, service: string) {
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: (...args: unknown[]) => Promise<unknown> }).send = async (...args: unknown[]) => {
    const start = performance.now();
    try {
      return await send(...args);
    } finally {
      log.add({ label: `${service}:${(args[0] as object).constructor.name}`, start, end: performance.now() });
    }
  };
}

/** `PutBucketAcl`-like names from the request: query-protocol Action, JSON target, or S3's method + subresource. */
function operationOf(request: unknown): string {
  const r = request as {
    method?: string;
    path?: string;
    query?: Record<string, unknown>;
    headers?: Record<string, string>;
    body?: unknown;
  };
  const target = r.headers?.['x-amz-target'];
  if (target) return target.split('.').pop() ?? target;
  if (typeof r.body === 'string') {
    const action = /(?:^|&)Action=([^&]+)/.exec(r.body)?.[1];
    if (action) return action;
  }
  const sub = Object.keys(r.query ?? {})
    .filter((k) => !k.startsWith('x-id') && k !== 'x-amz-user-agent')
    .join(',');
  const xid = r.query?.['x-id'];
  if (typeof xid === 'string') return xid;
  return `${r.method ?? 'GET'} ${r.path ?? '/'}${sub ? `?${sub}` : ''}`;
}

/** A per-retry pipeline policy that records each ARM request attempt in `log`, labelled `METHOD /last/segments`. */
export function timingPolicy(log: CallLog): { policy: PipelinePolicy; position: 'perRetry' } {
  return {
    position: 'perRetry',
    policy: {
      name: 'reflexBenchTiming',
      async sendRequest(request, next) {
        const start = performance.now();
        const url = new URL(request.url);
        const parts = url.pathname.split('/').filter(Boolean);
        const label = `${request.method} ${parts.slice(-2).join('/')}`;
        try {
          return await next(request);
        } finally {
          log.add({ label, start, end: performance.now() });
        }
      },
    },
  };
}
