import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SPEC_FILES } from './spec.js';

/** One disagreement between traffic and Microsoft's REST spec, as oav reports it. */
export interface ContractViolation {
  /** `request`: the client sent something the spec forbids; `response`: the emulator did. */
  source: 'request' | 'response';
  method: string;
  url: string;
  statusCode: number;
  operationId: string;
  code: string;
  message: string;
  /** JSON paths into the payload, e.g. `/properties/priority`. */
  paths: string[];
  /** Spec location of the rule that was broken. */
  schema?: string;
}

export interface LiveExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: unknown;
  statusCode: number;
  responseHeaders: Record<string, string>;
  responseBody?: unknown;
}

// oav is CommonJS with a side-effectful `reflect-metadata` import; load it lazily with require so
// importing the emulator stays cheap until validation is actually switched on.
const require = createRequire(import.meta.url);

interface OavIssue {
  code: string;
  message: string;
  pathsInPayload?: string[];
  source?: { url?: string; jsonRef?: string };
}
interface OavResult {
  errors: OavIssue[];
  runtimeException?: { code: string; message: string };
  operationInfo: { operationId: string };
}
interface OavLiveValidator {
  initialize(): Promise<void>;
  validateLiveRequest(req: {
    url: string;
    method: string;
    headers: Record<string, string>;
    body?: unknown;
  }): Promise<OavResult>;
  validateLiveResponse(
    res: { statusCode: string; headers: Record<string, string>; body?: unknown },
    op: { url: string; method: string },
  ): Promise<OavResult>;
}

/**
 * Validates each exchange with oav's LiveValidator, the tool Microsoft uses to check live ARM
 * traffic against azure-rest-api-specs. Only the spec files the emulator serves are loaded, and
 * validators are compiled lazily per spec (no background build), which keeps init well under a second.
 */
export class ContractValidator {
  private validator?: OavLiveValidator;
  initMs = 0;

  constructor(private readonly root: string) {}

  async initialize(): Promise<void> {
    if (this.validator) return;
    const started = Date.now();
    const { LiveValidator } = require('oav') as {
      LiveValidator: new (opts: object, log?: (msg: string, level: string) => void) => OavLiveValidator;
    };
    const validator = new LiveValidator(
      {
        directory: this.root,
        swaggerPaths: SPEC_FILES.map((f) => join(this.root, f)),
        git: { shouldClone: false },
        isPathCaseSensitive: false,
        loadValidatorInBackground: false,
        loadValidatorInInitialize: false,
      },
      // oav logs every lookup miss at error level; the emulator reports what matters itself.
      () => {},
    );
    await validator.initialize();
    this.validator = validator;
    this.initMs = Date.now() - started;
  }

  /** Judges what the client sent, before the emulator acts on it (a refused request changes nothing). */
  async validateRequest(exchange: LiveExchange): Promise<ContractViolation[]> {
    const result = await this.live().validateLiveRequest({
      url: exchange.url,
      method: exchange.method.toLowerCase(),
      headers: exchange.requestHeaders,
      body: exchange.requestBody,
    });
    return toViolations('request', exchange, result);
  }

  /**
   * Judges what the emulator answered. Call it only for responses the spec can describe: not for an
   * ARM front-door error such as an injected 429, nor for a 4xx from an operation whose spec declares
   * no `default` response (most of Microsoft.Storage).
   */
  async validateResponse(exchange: LiveExchange): Promise<ContractViolation[]> {
    const result = await this.live().validateLiveResponse(
      { statusCode: String(exchange.statusCode), headers: exchange.responseHeaders, body: exchange.responseBody },
      { url: exchange.url, method: exchange.method.toLowerCase() },
    );
    return toViolations('response', exchange, result);
  }

  private live(): OavLiveValidator {
    if (!this.validator) throw new Error('ContractValidator.initialize() was not awaited');
    return this.validator;
  }
}

function toViolations(source: 'request' | 'response', exchange: LiveExchange, r: OavResult): ContractViolation[] {
  const base = {
    source,
    method: exchange.method,
    url: exchange.url,
    statusCode: exchange.statusCode,
    operationId: r.operationInfo.operationId,
  };
  if (r.runtimeException) {
    return [{ ...base, code: r.runtimeException.code, message: r.runtimeException.message, paths: [] }];
  }
  return r.errors.map((e) => ({
    ...base,
    code: e.code,
    message: e.message,
    paths: e.pathsInPayload ?? [],
    schema: e.source?.url ? `${e.source.url}${e.source.jsonRef ?? ''}` : undefined,
  }));
}
