/** The account id and region moto answers for (moto's defaults). */
export const MOTO_ACCOUNT_ID = '123456789012';
export const MOTO_REGION = 'us-east-1';

/** Static credentials for moto; moto accepts any, but the SDK must sign with something. */
export const MOTO_CREDENTIALS = Object.freeze({ accessKeyId: 'testing', secretAccessKey: 'testing' });

/** What AWS SDK v3 clients (S3, EC2, CloudTrail, ...) need to talk to moto. `forcePathStyle` only matters to S3. */
export interface AwsClientConfig {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** The endpoint's URL with `localhost` replaced by `127.0.0.1` (the S3 client goes virtual-hosted for `localhost`). */
export function loopbackEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  // URL.toString() always adds a trailing slash to a bare origin; keep the caller's form otherwise.
  return url.pathname === '/' && !endpoint.endsWith('/') ? url.origin : url.toString();
}

/**
 * Config for an AWS SDK v3 client pointed at moto (or at a fault proxy in front of it):
 * `new S3Client(awsClientConfig(moto.endpoint))`, `new EC2Client({ ...awsClientConfig(endpoint), maxAttempts: 10 })`.
 */
export function awsClientConfig(endpoint: string): AwsClientConfig {
  return {
    endpoint: loopbackEndpoint(endpoint),
    region: MOTO_REGION,
    forcePathStyle: true,
    credentials: { ...MOTO_CREDENTIALS },
  };
}

/** The shape of an SDK v3 `EndpointV2` that this module produces. */
export interface FixedEndpoint {
  url: URL;
}

/**
 * An `endpointProvider` for `S3ControlClient` that always answers `endpoint`.
 *
 * S3 Control's endpoint rules put the account id in the host name (`123456789012.127.0.0.1`, not a valid host),
 * even with `disableHostPrefix`. With this provider the request goes to `endpoint` as is; the account id still
 * travels in the `x-amz-account-id` header, which moto reads. Requests are signed for service `s3` in the client's
 * region (the client's defaults, since this endpoint carries no `authSchemes`).
 *
 * `new S3ControlClient({ ...awsClientConfig(endpoint), endpointProvider: s3ControlEndpointProvider(endpoint) })`
 */
export function s3ControlEndpointProvider(endpoint: string): (params?: unknown) => FixedEndpoint {
  const fixed = loopbackEndpoint(endpoint);
  return () => ({ url: new URL(fixed) });
}
