import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ContractValidator, type ContractViolation } from './contract.js';
import { type ArmEvent, buildEvent, DEFAULT_PRINCIPAL, type Principal, principalFromRequest } from './events.js';
import { type ArmFaultKind, type ArmFaultMatch, type ArmFaultSettings, Faults } from './faults.js';
import { Operations } from './lro.js';
import { type ArmResponse, ArmSemantics, armError } from './semantics.js';
import { SpecCatalogue, specRoot } from './spec.js';
import { ArmStore } from './store.js';
import { localCertificate } from './tls.js';

export interface ArmEmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. Always loopback. */
  port?: number;
  /** Spec folder (`.../specification`); default: REFLEX_AZURE_SPECS or the specs vendored in sim/specs/azure. */
  specPath?: string;
  /** Validate every exchange with oav (default true). */
  validate?: boolean;
  /**
   * Strict (default true): a request that breaks the spec is refused with 400 InvalidRequestContent, a
   * response that breaks it is replaced by 501 EmulatorContractViolation (501 is not retried by the SDK),
   * and both are printed to stderr — so the test that caused it fails where it happened.
   */
  strict?: boolean;
  /** Items per list page before a nextLink (default 100; use 2 in tests to exercise paging). */
  pageSize?: number;
  /** Polls that answer InProgress before Succeeded (default 1). */
  lroPolls?: number;
  /** Default subscription for seed helpers. */
  subscriptionId?: string;
  /** Caller identity when the request names none. */
  principal?: Principal;
}

export interface RecordedCall {
  method: string;
  /** Path and query as received. */
  url: string;
  path: string;
  apiVersion?: string;
  operationId?: string;
  requestBody?: unknown;
  status: number;
  responseBody?: unknown;
  fault?: ArmFaultKind;
  principal: Principal;
  clientRequestId?: string;
  durationMs: number;
  /** Violations found in this exchange. */
  violations: ContractViolation[];
}

export interface ArmEmulator {
  endpoint: string;
  /** PEM certificate of the emulator's self-signed TLS cert: what clients must trust. */
  ca: string;
  port: number;
  subscriptionId: string;
  /** oav LiveValidator initialisation time (0 when validation is off). */
  validatorInitMs: number;
  reset(): void;
  stop(): Promise<void>;
  calls(): RecordedCall[];
  violations(): ContractViolation[];
  clearViolations(): void;
  events(): ArmEvent[];
  onEvent(cb: (event: ArmEvent) => void): () => void;
  setFaults(settings: ArmFaultSettings): void;
  /** Queue `count` faults for the next matching requests (deterministic, ahead of rate-based faults). */
  injectFault(kind: ArmFaultKind, count?: number, match?: ArmFaultMatch): void;
  setPrincipal(principal: Partial<Principal>): void;
  /** Test hook: rewrite the next response body before it is validated and sent. */
  tamperNextResponse(fn: (body: unknown) => unknown): void;
  seedResourceGroup(name: string, location?: string, subscriptionId?: string): void;
  /** PUT through the emulator's own semantics (no validation, no events, not recorded). */
  seedResource(id: string, body: Record<string, unknown>, apiVersion: string): ArmResponse;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startArmEmulator(opts: ArmEmulatorOptions = {}): Promise<ArmEmulator> {
  const root = opts.specPath ?? specRoot();
  const strict = opts.strict ?? true;
  const catalogue = new SpecCatalogue(root);
  const store = new ArmStore();
  const operations = new Operations(opts.lroPolls ?? 1);
  const semantics = new ArmSemantics(store, catalogue, operations, { pageSize: opts.pageSize ?? 100 });
  const faults = new Faults();
  const validator = opts.validate === false ? undefined : new ContractValidator(root);
  const [cert] = await Promise.all([localCertificate(), validator?.initialize()]);
  const subscriptionId = opts.subscriptionId ?? '00000000-0000-0000-0000-000000000000';

  let principal: Principal = { ...DEFAULT_PRINCIPAL, ...opts.principal };
  let tamper: ((body: unknown) => unknown) | undefined;
  const calls: RecordedCall[] = [];
  const violations: ContractViolation[] = [];
  const events: ArmEvent[] = [];
  const listeners = new Set<(e: ArmEvent) => void>();
  let endpoint = '';

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = req.url ?? '/';
    // The modular SDKs expand `/{+resourceUri}` after a leading slash, giving `//subscriptions/...`;
    // collapse slashes before URL parsing, which would read `//subscriptions` as a host name.
    const [rawPath = '/', rawQuery] = raw.split(/\?(.*)/s);
    const parsed = new URL(`${rawPath.replace(/\/{2,}/g, '/')}${rawQuery ? `?${rawQuery}` : ''}`, endpoint);
    const path = parsed.pathname.replace(/\/$/, '');
    const headers = flatHeaders(req);
    const text = await readBody(req);
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return send(
          res,
          armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.'),
        );
      }
    }
    const caller = principalFromRequest(headers, principal);
    const clientRequestId = headers['x-ms-client-request-id'] ?? randomUUID();
    const correlationId = randomUUID();

    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const fault = faults.draw(method, path);
    const apiVersion = parsed.searchParams.get('api-version') ?? undefined;
    // Judge traffic the spec describes: a known operation at its api-version. Anything else (a missing
    // or unknown api-version, resource groups, polling URLs) is answered by ARM itself, not by a spec.
    const specOp = catalogue.find(method, path);
    const judged = validator !== undefined && specOp !== undefined && specOp.apiVersion === apiVersion;
    const exchange = {
      method,
      url: `${endpoint}${path}${parsed.search}`,
      requestHeaders: headers,
      requestBody: body,
      statusCode: 0,
      responseHeaders: {} as Record<string, string>,
      responseBody: undefined as unknown,
    };
    const found: ContractViolation[] = [];
    let result: ArmResponse;
    let refused = false;
    if (fault === 'throttle') {
      result = armError(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:05:00.',
      );
      result.headers['retry-after'] = String(faults.retryAfterSeconds);
    } else if (fault === 'error') {
      result = armError(
        500,
        'InternalServerError',
        'Encountered internal server error. Diagnostic information: timestamp, subscription id, tracking id, request correlation id.',
      );
    } else {
      if (judged) found.push(...(await validator.validateRequest(exchange)));
      if (strict && found.length > 0) {
        // Refuse before acting, so a request that breaks the spec changes nothing.
        result = refuse(found);
        refused = true;
      } else {
        result = semantics.handle({ method, path, query: parsed.searchParams, body, endpoint });
      }
    }
    if (tamper && result.body !== undefined && !fault && !refused) {
      result.body = tamper(result.body);
      tamper = undefined;
    }
    result.headers['x-ms-request-id'] = randomUUID();
    result.headers['x-ms-correlation-request-id'] = correlationId;
    if (result.body !== undefined) result.headers['content-type'] = 'application/json; charset=utf-8';

    if (judged && !fault && !refused && (result.status < 400 || specOp.declaresErrors)) {
      const responseFound = await validator.validateResponse({
        ...exchange,
        statusCode: result.status,
        responseHeaders: result.headers,
        responseBody: result.body,
      });
      found.push(...responseFound);
      if (strict && responseFound.length > 0) result = refuse(responseFound);
    }
    for (const v of found) v.statusCode = result.status;
    violations.push(...found);
    const sent = result;
    if (found.length > 0) {
      console.error(
        `[arm-emulator] contract violation on ${method} ${path}:\n${found.map((v) => `  ${v.source} ${v.code} ${v.paths.join(',')} ${v.message}`).join('\n')}`,
      );
    }

    calls.push({
      method,
      url: raw,
      path,
      apiVersion,
      operationId: result.operation?.operationId ?? (judged ? specOp.operationId : undefined),
      requestBody: body,
      status: sent.status,
      responseBody: sent.body,
      fault,
      principal: caller,
      clientRequestId,
      durationMs: Date.now() - started,
      violations: found,
    });

    if (found.length === 0 && result.write && result.status < 300) {
      const event = buildEvent({
        kind: result.write.kind,
        subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(path)?.[1] ?? subscriptionId,
        resourceUri: result.write.resourceUri,
        operationName: result.write.operationName,
        resourceProvider: result.write.resourceProvider,
        method,
        url: `https://management.azure.com${path}${parsed.search}`,
        clientRequestId,
        correlationId,
        clientIpAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        principal: caller,
      });
      events.push(event);
      for (const cb of listeners) cb(event);
    }
    send(res, sent);
  }

  function refuse(found: ContractViolation[]): ArmResponse {
    const fromClient = found.some((v) => v.source === 'request');
    const detail = found
      .map((v) => `${v.source} ${v.code} at ${v.paths.join(',') || '(root)'}: ${v.message}`)
      .join('; ');
    return fromClient
      ? armError(400, 'InvalidRequestContent', `The request does not match the REST spec: ${detail}`)
      : armError(501, 'EmulatorContractViolation', `The emulator's response does not match the REST spec: ${detail}`);
  }

  function send(res: ServerResponse, r: ArmResponse): void {
    const payload = r.body === undefined ? '' : JSON.stringify(r.body);
    res.writeHead(r.status, {
      ...r.headers,
      ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    });
    res.end(payload);
  }

  const server: Server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    serve(req, res).catch((err: unknown) => {
      console.error('[arm-emulator] internal error', err);
      if (!res.headersSent) send(res, armError(500, 'InternalServerError', String(err)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `https://127.0.0.1:${port}`;

  return {
    endpoint,
    ca: cert.cert,
    port,
    subscriptionId,
    validatorInitMs: validator?.initMs ?? 0,
    reset() {
      store.reset();
      operations.reset();
      faults.reset();
      calls.length = 0;
      violations.length = 0;
      events.length = 0;
      tamper = undefined;
      principal = { ...DEFAULT_PRINCIPAL, ...opts.principal };
    },
    stop() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
    calls: () => [...calls],
    violations: () => [...violations],
    clearViolations() {
      violations.length = 0;
    },
    events: () => [...events],
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    setFaults: (settings) => faults.set(settings),
    injectFault: (kind, count, match) => faults.inject(kind, count, match),
    setPrincipal(p) {
      principal = { ...principal, ...p };
    },
    tamperNextResponse(fn) {
      tamper = fn;
    },
    seedResourceGroup(name, location = 'eastus', sub = subscriptionId) {
      store.putGroup(sub, { id: `/subscriptions/${sub}/resourceGroups/${name}`, name, location });
    },
    seedResource(id, body, apiVersion) {
      return semantics.handle({
        method: 'PUT',
        path: id,
        query: new URLSearchParams({ 'api-version': apiVersion }),
        body,
        endpoint,
      });
    },
  };
}
