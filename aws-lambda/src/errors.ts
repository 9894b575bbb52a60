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

/** The service said "slow down" (throttling codes, HTTP 429). */
export function isThrottling(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = errorCode(err);
  return THROTTLING.has(code) || code.startsWith('Throttling') || httpStatus(err) === 429;
}

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

/** Marks an output that stands for one of the "not configured" answers `answerAbsent` let through. */
const ABSENT = '$reflexAbsent';

interface FinalizeStack {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: unknown) => Promise<unknown>,
    options: { step: 'finalizeRequest'; priority: 'low'; name: string },
  ): void;
}

/** S3's "not configured" answers, by command: states of the bucket, not failures. */
export const ABSENT_ANSWERS: Readonly<Record<string, readonly string[]>> = {
  GetPublicAccessBlockCommand: ['NoSuchPublicAccessBlockConfiguration'],
  GetBucketPolicyCommand: ['NoSuchBucketPolicy'],
  GetBucketEncryptionCommand: ['ServerSideEncryptionConfigurationNotFoundError'],
  GetBucketTaggingCommand: ['NoSuchTagSet'],
  GetBucketOwnershipControlsCommand: ['OwnershipControlsNotFoundError'],
};

/**
 * Turns the "not configured" answers of `answers` into a marked success inside the SDK's retry loop: they are
 * states, not failures, and the SDK pays a retry back into its retry quota only on success. Without this, a call
 * that was throttled and then answered "no policy" keeps its retry cost, and a sweep of buckets that mostly have no
 * policy, tags or block drains the quota under throttling. Installed once per client (so the client may cache its
 * resolved middleware per command); `unlessMissing` reads the mark, and every such call is sent through it.
 */
export function answerAbsent(
  client: { middlewareStack: object },
  answers: Readonly<Record<string, readonly string[]>> = ABSENT_ANSWERS,
): void {
  (client.middlewareStack as FinalizeStack).add(
    (next, context) => {
      const codes = answers[context.commandName ?? ''];
      if (!codes) return next;
      return (args) =>
        next(args).catch((err: unknown) => {
          const code = errorCode(err);
          if (!codes.includes(code)) throw err;
          const e = err as { $metadata?: object; $response?: unknown };
          return { response: e.$response, output: { $metadata: { ...e.$metadata }, [ABSENT]: code } };
        });
    },
    { step: 'finalizeRequest', priority: 'low', name: 'reflexAbsentAsAnswer' },
  );
}

/** Runs an SDK call whose "not found" answer is a state, not an error: those codes resolve to `absent`. */
export async function unlessMissing<T, A>(call: Promise<T>, codes: readonly string[], absent: A): Promise<T | A> {
  try {
    const out = await call;
    return out && typeof out === 'object' && ABSENT in out ? absent : out;
  } catch (err) {
    if (codes.includes(errorCode(err))) return absent;
    throw err;
  }
}

export function requestIdOf(output: { $metadata?: { requestId?: string } } | undefined): string[] {
  const id = output?.$metadata?.requestId;
  return id ? [id] : [];
}
