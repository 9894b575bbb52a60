/** Reading AWS SDK errors: their code, and whether a retry of the whole event may help. */

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The service's error code (`NoSuchBucketPolicy`, `InvalidPermission.NotFound`), or the Node error code. */
export function errorCode(err: unknown): string {
  if (!err || typeof err !== 'object') return '';
  const e = err as SdkErrorShape;
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? '';
}

export function httpStatus(err: unknown): number | undefined {
  return (err as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

// Throttling codes across S3 (SlowDown), EC2 (RequestLimitExceeded) and the JSON/query services.
const THROTTLING = new Set([
  'SlowDown',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * Worth a retry of the whole event: throttling, 5xx, timeouts, broken connections. The SDK has already
 * retried these with backoff by the time we see them; Lambda's retry and the DLQ take it from here.
 */
export function isTransient(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = errorCode(err);
  if (THROTTLING.has(code) || code.startsWith('Throttling') || TIMEOUTS.has(code) || NETWORK.has(code)) return true;
  const nodeCode = (err as { code?: string }).code;
  if (nodeCode && NETWORK.has(nodeCode)) return true;
  const status = httpStatus(err);
  if (status !== undefined && status >= 500) return true;
  if (status === 429) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isTransient(cause);
}

/** Runs an SDK call whose "not found" answer is a state, not an error: those codes resolve to `absent`. */
export async function unlessMissing<T, A>(call: Promise<T>, codes: readonly string[], absent: A): Promise<T | A> {
  try {
    return await call;
  } catch (err) {
    if (codes.includes(errorCode(err))) return absent;
    throw err;
  }
}

export function requestIdOf(output: { $metadata?: { requestId?: string } } | undefined): string[] {
  const id = output?.$metadata?.requestId;
  return id ? [id] : [];
}
