import type { ArmClientOptions } from './sdk.js';

/** ARM and network failures that a retry of the whole event may cure: throttling, 5xx, timeouts, dropped connections. */
const NETWORK_CODES = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'REQUEST_SEND_ERROR',
]);

export function statusOf(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const status = (err as { statusCode?: unknown }).statusCode ?? (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

export function isTransientArmError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const status = statusOf(err);
  if (status !== undefined) return status === 408 || status === 429 || (status >= 500 && status !== 501);
  const { code, name } = err as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return name === 'TimeoutError' || name === 'AbortError';
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

type PipelinePolicy = NonNullable<ArmClientOptions['additionalPolicies']>[number]['policy'];

/** An ARM answer that failed without an ARM error document: its HTTP status is all there is, and it is kept. */
export class ArmHttpError extends Error {
  readonly code: string;
  constructor(readonly statusCode: number) {
    super(`HTTP ${statusCode} without an ARM error body`);
    this.code = `HTTP${statusCode}`;
  }
}

/** An ARM error body: `{"error": {...}}` or the bare `{"code", "message"}` some services send. */
function isArmErrorBody(text: string | undefined): boolean {
  if (!text) return false;
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null && ('error' in body || 'code' in body);
  } catch {
    return false;
  }
}

/**
 * The SDKs' generated deserializers read `body.error` from every failed answer, so a failure without an ARM error
 * document (a gateway's empty 503, an HTML 502, a 431 for a URL too long) becomes `TypeError: Cannot read
 * properties of undefined (reading 'error')` and its status, and whether a retry may cure it, is lost. This policy
 * (outermost, after the SDK's own retries) turns such an answer into an ArmHttpError that keeps the status.
 */
export const armErrorStatusPolicy: PipelinePolicy = {
  name: 'reflexArmErrorStatus',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status >= 400 && !isArmErrorBody(response.bodyAsText ?? undefined))
      throw new ArmHttpError(response.status);
    return response;
  },
};
