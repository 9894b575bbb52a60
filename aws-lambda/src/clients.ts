import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { answerAbsent } from './errors.js';
import { watchThrottling } from './throttling.js';

/** The SDK clients of one region. */
export interface AwsClients {
  readonly region: string;
  readonly s3: S3Client;
  readonly s3control: S3ControlClient;
  readonly ec2: EC2Client;
  readonly cloudtrail: CloudTrailClient;
}

/**
 * Clients per region (a ref names its region, and an aggregated finding may name another one) and, when the bot
 * acts in member accounts, per account: `account` is the ref's. A single-account answer may ignore it.
 */
export type ClientsForRegion = (region: string, account?: string) => AwsClients;

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Credentials that expire (an assumed role's). */
export interface TemporaryCredentials extends StaticCredentials {
  expiration?: Date;
}

/** Called by the SDK before signing; it calls again once `expiration` is near. */
export type CredentialsProvider = () => Promise<TemporaryCredentials>;

export interface AwsClientOptions {
  /** An endpoint override (moto, a proxy). Default: `AWS_ENDPOINT_URL`, which the SDK honours on its own too. */
  endpoint?: string;
  /** Fixed credentials, or a provider (a member account's assumed role). Default: the SDK's chain. */
  credentials?: StaticCredentials | CredentialsProvider;
  /** Attempts per call, the first included. Default 8. */
  maxAttempts?: number;
  /**
   * S3's "not configured" answers (no policy, no block...) as outputs marked absent, inside the SDK's retry loop
   * (see `answerAbsent`): Reflex reads them through `unlessMissing`. Default true; false keeps the SDK's errors, for
   * code that reads those answers itself (test setup).
   */
  absentAnswers?: boolean;
}

/**
 * Standard retry mode (exponential backoff with jitter, a retry quota) rather than adaptive: adaptive adds a
 * client-side rate limiter that, after one throttle, slows every later call of the container. Our calls are
 * few and per resource, so plain backoff is enough; AWS_RETRY_MODE still overrides it.
 */
const RETRY_MODE = process.env.AWS_RETRY_MODE ?? 'standard';

export function createAwsClients(region: string, options: AwsClientOptions = {}): AwsClients {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const common = {
    region,
    // Resolve each command's middleware stack once per client, not on every call (SDK CPU on the critical path).
    cacheMiddleware: true,
    maxAttempts: options.maxAttempts ?? Number(process.env.AWS_MAX_ATTEMPTS ?? 8),
    retryMode: RETRY_MODE,
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const s3Endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? endpoint;
  const controlEndpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3_CONTROL ?? endpoint;
  // Path style with an override: virtual-hosted names (bucket.127.0.0.1) do not resolve locally.
  const s3 = new S3Client({
    ...common,
    ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
    followRegionRedirects: true,
  });
  watchThrottling(s3);
  if (options.absentAnswers !== false) answerAbsent(s3);
  const ec2 = new EC2Client(common);
  watchThrottling(ec2);
  return {
    region,
    s3,
    // S3 Control's endpoint rules put the account id in the host name, which breaks any override
    // (123456789012.127.0.0.1); answer the override as is, the account id travels in x-amz-account-id.
    s3control: new S3ControlClient({
      ...common,
      ...(controlEndpoint
        ? { endpoint: controlEndpoint, endpointProvider: () => ({ url: new URL(controlEndpoint) }) }
        : {}),
    }),
    ec2,
    cloudtrail: new CloudTrailClient(common),
  };
}

/** Clients created once per container per region and reused by every invocation (connection reuse, retry quota). */
export function cachedClients(options: AwsClientOptions = {}): ClientsForRegion {
  const byRegion = new Map<string, AwsClients>();
  return (region) => {
    const key = region || defaultRegion();
    let clients = byRegion.get(key);
    if (!clients) {
      clients = createAwsClients(key, options);
      byRegion.set(key, clients);
    }
    return clients;
  };
}

export function defaultRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}
