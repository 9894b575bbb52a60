import type { OutgoingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { classifyRequest, type Protocol } from './classify.js';
import { type FaultKind, faultResponse } from './errors.js';
import { mulberry32 } from './random.js';

/** What a request looked like, as the `match` filter and the call log see it. */
export interface ProxyRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  protocol: Protocol;
  /** SigV4 signing name (`s3`, `ec2`, `cloudtrail`), when signed. */
  service?: string;
  /** The API operation (`PutBucketAcl`, `AuthorizeSecurityGroupIngress`, `StartLogging`), when it can be told. */
  operation?: string;
  /** Anything that is not a read (S3: not GET/HEAD; query/JSON: not Describe/Get/List...; ARM: not GET/HEAD). */
  write: boolean;
}

/** One request through the proxy, in arrival order. */
export interface ProxyCall extends ProxyRequest {
  seq: number;
  /** The injected fault, if any (then the request never reached the upstream). */
  fault?: FaultKind;
  /** The status the client got; 0 while the request is still in flight. */
  status: number;
  ms: number;
}

export interface ProxyStats {
  /** Requests received. */
  requests: number;
  /** Requests passed on to the upstream. */
  forwarded: number;
  faults: { throttle: number; error: number; total: number };
  /** Forwarded requests the upstream did not answer (the proxy then answers 502). */
  upstreamErrors: number;
}

export interface FaultSettings {
  /** Share of requests answered with the service's throttling error, 0..1. */
  throttleRate: number;
  /** Share of requests answered with a 500 internal error, 0..1. */
  errorRate: number;
  /** Delay added to every request, in ms. */
  latencyMs: number;
  /** Seed for the fault draws; same seed and same request order, same faults. Default: random. */
  seed?: number;
  /**
   * Which requests may be faulted (default: all but moto's own `/moto-api/`). Only those draw from the PRNG,
   * so a filter does not shift the sequence of the requests it lets through.
   */
  match?: (request: ProxyRequest) => boolean;
}

export interface FaultProxyOptions extends Partial<FaultSettings> {
  /** Where requests go: moto's endpoint, or an HTTPS ARM emulator. */
  upstream: string;
  /** `aws` (default): errors in the protocol of each AWS request. `arm`: ARM's 429 / 500 JSON errors. */
  mode?: 'aws' | 'arm';
  /** CA certificate(s) to trust for an https upstream (e.g. the emulator's self-signed CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Send `Host: <upstream host>` instead of the client's Host. Default false: the Host the client signed is kept. */
  rewriteHost?: boolean;
  /** Serve TLS with this key and certificate (clients that insist on https, such as Azure SDKs with bearer tokens). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Port to listen on, on 127.0.0.1. Default: a free one. */
  port?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` (or https with `tls`) — point SDK clients here. */
  readonly endpoint: string;
  readonly port: number;
  /** Change fault settings from now on (a new `seed` restarts the sequence). */
  setFaults(faults: Partial<FaultSettings>): void;
  stats(): ProxyStats;
  /** The per-request log, in arrival order. */
  calls(): ProxyCall[];
  /** Zero the counters and clear the log. */
  resetStats(): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Raw header pairs without hop-by-hop headers, optionally with Host replaced. */
function forwardHeaders(raw: string[], host: string | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (host !== undefined && lower === 'host') continue;
    out.push(name, raw[i + 1]!);
  }
  if (host !== undefined) out.unshift('Host', host);
  return out;
}

function checkRate(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= 1))
    throw new RangeError(`${name} must be within 0..1, got ${value}`);
}

const notMotoApi = (request: ProxyRequest) => !request.path.startsWith('/moto-api/');

/**
 * Start a fault-injecting HTTP proxy in front of `upstream` on a loopback port. Requests are forwarded unchanged
 * (method, path, query, headers, body bytes; hop-by-hop headers dropped; Host kept unless `rewriteHost`), except the
 * share picked for a fault, which gets the error the real service answers when it throttles or fails — never
 * reaching the upstream, so an injected fault never half-applies a write.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new Error(`unsupported upstream protocol: ${upstream.protocol}`);
  }
  const secureUpstream = upstream.protocol === 'https:';
  const mode = options.mode ?? 'aws';
  checkRate('throttleRate', options.throttleRate);
  checkRate('errorRate', options.errorRate);
  let settings: FaultSettings = {
    throttleRate: options.throttleRate ?? 0,
    errorRate: options.errorRate ?? 0,
    latencyMs: options.latencyMs ?? 0,
    seed: options.seed,
    match: options.match,
  };
  let random = mulberry32(settings.seed ?? Math.floor(Math.random() * 2 ** 32));

  const agentOptions = { keepAlive: true, maxSockets: 64 };
  const agent = secureUpstream
    ? new https.Agent({ ...agentOptions, ca: options.ca, rejectUnauthorized: true })
    : new http.Agent(agentOptions);
  const basePath = upstream.pathname.replace(/\/$/, '');
  const upstreamHost = upstream.host;
  const servername = secureUpstream && isIP(upstream.hostname) === 0 ? upstream.hostname : undefined;

  let log: ProxyCall[] = [];
  let counters: ProxyStats = {
    requests: 0,
    forwarded: 0,
    faults: { throttle: 0, error: 0, total: 0 },
    upstreamErrors: 0,
  };
  let seq = 0;

  function draw(request: ProxyRequest): FaultKind | undefined {
    const eligible = (settings.match ?? notMotoApi)(request);
    if (!eligible) return undefined;
    const r = random();
    if (r < settings.throttleRate) return 'throttle';
    if (r < settings.throttleRate + settings.errorRate) return 'error';
    return undefined;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const kind = classifyRequest(method, path, req.headers, body, mode);
    const request: ProxyRequest = { method, path, ...kind };
    const stats = counters;
    stats.requests++;
    const call: ProxyCall = { seq: ++seq, ...request, status: 0, ms: 0 };
    log.push(call);
    const fault = draw(request);
    const finish = (status: number) => {
      call.status = status;
      call.ms = Date.now() - started;
    };

    if (settings.latencyMs > 0) await sleep(settings.latencyMs);

    if (fault) {
      call.fault = fault;
      stats.faults[fault]++;
      stats.faults.total++;
      const answer = faultResponse(fault, kind.protocol);
      res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
      finish(answer.status);
      return;
    }

    const headers = forwardHeaders(req.rawHeaders, options.rewriteHost ? upstreamHost : undefined);
    const hadLength = req.headers['content-length'] !== undefined;
    if (!hadLength && (body.length > 0 || req.headers['transfer-encoding'] !== undefined)) {
      headers.push('Content-Length', String(body.length));
    }
    stats.forwarded++;
    const requestOptions: https.RequestOptions = {
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port || (secureUpstream ? 443 : 80),
      method,
      path: `${basePath}${path}`,
      headers: headers as unknown as OutgoingHttpHeaders, // node accepts raw [name, value, ...] pairs
      agent,
      ...(servername ? { servername } : {}),
    };
    await new Promise<void>((resolve) => {
      const upstreamReq = (secureUpstream ? https : http).request(requestOptions, (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        const responseHeaders = forwardHeaders(upstreamRes.rawHeaders, undefined);
        res.writeHead(status, upstreamRes.statusMessage, responseHeaders);
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => {
          finish(status);
          resolve();
        });
        upstreamRes.on('error', () => {
          res.destroy();
          finish(status);
          resolve();
        });
      });
      upstreamReq.on('error', (err) => {
        stats.upstreamErrors++;
        if (!res.headersSent) {
          const text = `fault proxy: upstream ${upstream.origin} failed: ${err.message}`;
          res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        } else {
          res.destroy();
        }
        finish(502);
        resolve();
      });
      upstreamReq.end(body);
    });
  }

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fault proxy failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 5_000;

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('fault proxy: no listening address'));
      else resolve(address.port);
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    setFaults(faults) {
      checkRate('throttleRate', faults.throttleRate);
      checkRate('errorRate', faults.errorRate);
      settings = { ...settings, ...faults };
      if ('seed' in faults) random = mulberry32(faults.seed ?? Math.floor(Math.random() * 2 ** 32));
    },
    stats: () => ({ ...counters, faults: { ...counters.faults } }),
    calls: () => log.map((call) => ({ ...call })),
    resetStats() {
      log = [];
      counters = { requests: 0, forwarded: 0, faults: { throttle: 0, error: 0, total: 0 }, upstreamErrors: 0 };
      seq = 0;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopping;
    },
  };
}
