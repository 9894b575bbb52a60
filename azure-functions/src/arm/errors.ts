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
