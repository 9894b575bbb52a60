import type { IncomingHttpHeaders } from 'node:http';

/** Which wire protocol a request speaks, which decides the shape of an injected error. */
export type Protocol = 's3' | 'ec2' | 'query' | 'json' | 'arm' | 'other';

export interface RequestKind {
  protocol: Protocol;
  /** SigV4 signing name from the Authorization header (`s3`, `ec2`, `cloudtrail`...), when signed. */
  service?: string;
  /** The API operation (`PutBucketAcl`, `RevokeSecurityGroupIngress`, `StartLogging`...), when it can be told. */
  operation?: string;
  /** Whether the call changes state (anything that is not a read). */
  write: boolean;
}

const READ_PREFIXES = ['Describe', 'Get', 'List', 'Head', 'Lookup', 'Search', 'Select'];

function isReadOperation(operation: string): boolean {
  return READ_PREFIXES.some((prefix) => operation.startsWith(prefix));
}

/** S3 sub-resources (the query key) and the noun in their operation names. */
const S3_SUBRESOURCES: Record<string, string> = {
  acl: 'BucketAcl',
  policy: 'BucketPolicy',
  policyStatus: 'BucketPolicyStatus',
  encryption: 'BucketEncryption',
  logging: 'BucketLogging',
  tagging: 'BucketTagging',
  publicAccessBlock: 'PublicAccessBlock',
  ownershipControls: 'BucketOwnershipControls',
  versioning: 'BucketVersioning',
  cors: 'BucketCors',
  lifecycle: 'BucketLifecycleConfiguration',
  website: 'BucketWebsite',
  location: 'BucketLocation',
  notification: 'BucketNotificationConfiguration',
  replication: 'BucketReplication',
  'object-lock': 'ObjectLockConfiguration',
};

const VERBS: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', HEAD: 'Head', POST: 'Post' };

function s3Operation(method: string, url: URL): string | undefined {
  const xId = url.searchParams.get('x-id');
  if (xId) return xId;
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  // S3 Control (path-style on a custom endpoint): /v20180820/configuration/publicAccessBlock
  if (segments[0] === 'v20180820') {
    const last = segments[segments.length - 1];
    if (last === 'publicAccessBlock') return `${VERBS[method] ?? method}PublicAccessBlock`;
    return undefined;
  }
  const verb = VERBS[method];
  if (!verb) return undefined;
  for (const [key, noun] of Object.entries(S3_SUBRESOURCES)) {
    if (url.searchParams.has(key)) {
      if (segments.length > 1 && (key === 'acl' || key === 'tagging'))
        return `${verb}Object${key === 'acl' ? 'Acl' : 'Tagging'}`;
      return `${verb}${noun}`;
    }
  }
  if (method === 'POST' && url.searchParams.has('delete')) return 'DeleteObjects';
  if (segments.length === 0) return method === 'GET' ? 'ListBuckets' : undefined;
  if (segments.length === 1) {
    if (method === 'GET') return url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    return { PUT: 'CreateBucket', DELETE: 'DeleteBucket', HEAD: 'HeadBucket' }[method];
  }
  return { PUT: 'PutObject', GET: 'GetObject', DELETE: 'DeleteObject', HEAD: 'HeadObject' }[method];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, ...` → `s3`. */
function signingService(headers: IncomingHttpHeaders, url: URL): string | undefined {
  const auth = header(headers, 'authorization') ?? '';
  const match = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  if (match) return match[1];
  const presigned = url.searchParams.get('X-Amz-Credential');
  return presigned?.split('/')[3];
}

function formParam(body: Buffer, name: string): string | undefined {
  const text = body.toString('utf8');
  if (!text.includes(`${name}=`)) return undefined;
  return new URLSearchParams(text).get(name) ?? undefined;
}

/** Tell the protocol and operation of a request from its method, URL, headers and body. */
export function classifyRequest(
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  mode: 'aws' | 'arm',
): RequestKind {
  const url = new URL(rawUrl, 'http://proxy.invalid');
  if (mode === 'arm') {
    return { protocol: 'arm', write: !['GET', 'HEAD', 'OPTIONS'].includes(method) };
  }
  const service = signingService(headers, url);
  const target = header(headers, 'x-amz-target');
  if (target) {
    const operation = target.slice(target.lastIndexOf('.') + 1);
    return { protocol: 'json', service, operation, write: !isReadOperation(operation) };
  }
  const contentType = header(headers, 'content-type') ?? '';
  const action =
    url.searchParams.get('Action') ??
    (contentType.startsWith('application/x-www-form-urlencoded') ? formParam(body, 'Action') : undefined);
  if (action !== undefined || service === 'ec2') {
    return {
      protocol: service === undefined || service === 'ec2' ? 'ec2' : 'query',
      service,
      operation: action,
      write: action === undefined ? method !== 'GET' : !isReadOperation(action),
    };
  }
  if (service === 's3' || service === undefined || url.pathname.startsWith('/v20180820/')) {
    const operation = s3Operation(method, url);
    return { protocol: 's3', service, operation, write: !['GET', 'HEAD'].includes(method) };
  }
  return { protocol: 'other', service, write: !['GET', 'HEAD'].includes(method) };
}
