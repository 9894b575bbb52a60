import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRequest } from '../src/faults/classify.js';
import { type FaultProxy, mulberry32, startFaultProxy } from '../src/faults/index.js';

// A self-signed certificate for 127.0.0.1 (test only; valid until 2126).
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBpzCCAU2gAwIBAgIUWOUaXqExhiLaC8brhHTIOupdsAUwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPcmVmbGV4LXNpbS10ZXN0MCAXDTI2MTEyNDIyMDk0NloYDzIx
MjYxMDMxMjIwOTQ2WjAaMRgwFgYDVQQDDA9yZWZsZXgtc2ltLXRlc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATeYrl+WxzIN7PlQD01TZ2b5Tu6cKE2VBTboix8
nnD79fsyNUMZvTHjvZ7NwAZD31DTI6SqUNwXM3ZL9/xlEGTQo28wbTAdBgNVHQ4E
FgQUy32SBNm9dzaSYHAE0NoWQr/P9iMwHwYDVR0jBBgwFoAUy32SBNm9dzaSYHAE
0NoWQr/P9iMwDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2Nh
bGhvc3QwCgYIKoZIzj0EAwIDSAAwRQIhALNX5wiEOHpmldPoIJclBT0gcr9tKLpa
XGoPp0z+Z84EAiBX8GYXR/q3Ja1w2f0Ed8GYXmjgNFS8mtYS42aKFZ6GSg==
-----END CERTIFICATE-----
`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvGPWuiWhiI53Y0Ta
8mVVg0mZKDnUVn/C6QGfO6qpaT2hRANCAATeYrl+WxzIN7PlQD01TZ2b5Tu6cKE2
VBTboix8nnD79fsyNUMZvTHjvZ7NwAZD31DTI6SqUNwXM3ZL9/xlEGTQ
-----END PRIVATE KEY-----
`;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** An upstream that records what reached it and answers with a fixed status, headers and body. */
async function startEcho(tls = false): Promise<{ endpoint: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
      res.writeHead(207, { 'x-upstream': 'echo', 'content-type': 'application/octet-stream' });
      res.end(body);
    });
  };
  const server = tls ? https.createServer({ key: TEST_KEY, cert: TEST_CERT }, listener) : http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(
  endpoint: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; ca?: string } = {},
): Promise<Reply> {
  const url = new URL(opts.path ?? '/', endpoint);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const s3Auth = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
};
const ec2Auth = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00',
  'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
};

let echo: Awaited<ReturnType<typeof startEcho>>;
let proxy: FaultProxy;
beforeAll(async () => {
  echo = await startEcho();
  proxy = await startFaultProxy({ upstream: echo.endpoint, seed: 1 });
});
afterAll(async () => {
  await proxy?.stop();
  await echo?.close();
});

describe('forwarding', () => {
  it('passes method, path, query, headers and body bytes through, and the answer back', async () => {
    proxy.setFaults({ throttleRate: 0, errorRate: 0, latencyMs: 0 });
    echo.seen.length = 0;
    const body = randomBytes(70_000);
    const reply = await send(proxy.endpoint, {
      method: 'PUT',
      path: '/bucket/key%20with%20space?x-id=PutObject&a=1',
      headers: { ...s3Auth, 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', 'content-type': 'application/octet-stream' },
      body,
    });
    expect(reply.status).toBe(207);
    expect(reply.headers['x-upstream']).toBe('echo');
    expect(reply.body.equals(body)).toBe(true);
    const [got] = echo.seen;
    expect(got?.method).toBe('PUT');
    expect(got?.url).toBe('/bucket/key%20with%20space?x-id=PutObject&a=1');
    expect(got?.body.equals(body)).toBe(true);
    expect(got?.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(got?.headers.authorization).toBe(s3Auth.authorization);
    expect(got?.rawHeaders).toContain('X-Amz-Content-Sha256'); // header case kept
    // Host stays what the client signed, unless asked otherwise.
    expect(got?.headers.host).toBe(new URL(proxy.endpoint).host);
  });

  it('re-chunks nothing: a chunked upload arrives whole with its length', async () => {
    echo.seen.length = 0;
    const url = new URL('/b/k', proxy.endpoint);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'PUT', headers: s3Auth }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.write('hello ');
      req.end('world');
    });
    expect(echo.seen[0]?.body.toString()).toBe('hello world');
    expect(echo.seen[0]?.headers['content-length']).toBe('11');
  });

  it('rewriteHost sends the upstream host', async () => {
    const p = await startFaultProxy({ upstream: echo.endpoint, rewriteHost: true });
    try {
      echo.seen.length = 0;
      await send(p.endpoint, { path: '/' });
      expect(echo.seen[0]?.headers.host).toBe(new URL(echo.endpoint).host);
    } finally {
      await p.stop();
    }
  });

  it('answers 502 and counts it when the upstream is down', async () => {
    const gone = await startEcho();
    await gone.close();
    const p = await startFaultProxy({ upstream: gone.endpoint });
    try {
      const reply = await send(p.endpoint, { path: '/' });
      expect(reply.status).toBe(502);
      expect(p.stats().upstreamErrors).toBe(1);
      expect(p.calls()[0]?.status).toBe(502);
    } finally {
      await p.stop();
    }
  });

  it('forwards to an https upstream with a caller-supplied CA, and can serve TLS itself', async () => {
    const secure = await startEcho(true);
    const p = await startFaultProxy({
      upstream: secure.endpoint,
      ca: TEST_CERT,
      tls: { key: TEST_KEY, cert: TEST_CERT },
    });
    try {
      expect(p.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const reply = await send(p.endpoint, {
        method: 'POST',
        path: '/subscriptions?api-version=2022-12-01',
        body: '{}',
        ca: TEST_CERT,
      });
      expect(reply.status).toBe(207);
      expect(secure.seen[0]?.url).toBe('/subscriptions?api-version=2022-12-01');
      expect(secure.seen[0]?.body.toString()).toBe('{}');
    } finally {
      await p.stop();
      await secure.close();
    }
    // Without the CA the upstream certificate is refused.
    const strict = await startEcho(true);
    const q = await startFaultProxy({ upstream: strict.endpoint });
    try {
      expect((await send(q.endpoint, { path: '/' })).status).toBe(502);
    } finally {
      await q.stop();
      await strict.close();
    }
  });
});

describe('faults', () => {
  it('S3: 503 SlowDown in S3 XML; 500 InternalError', async () => {
    proxy.setFaults({ throttleRate: 1, errorRate: 0 });
    const throttled = await send(proxy.endpoint, { method: 'PUT', path: '/bucket?acl', headers: s3Auth });
    expect(throttled.status).toBe(503);
    expect(throttled.headers['content-type']).toBe('application/xml');
    expect(throttled.body.toString()).toMatch(
      /<Error><Code>SlowDown<\/Code><Message>Please reduce your request rate\.<\/Message><RequestId>[^<]+<\/RequestId>/,
    );
    proxy.setFaults({ throttleRate: 0, errorRate: 1 });
    const failed = await send(proxy.endpoint, { path: '/bucket?policy', headers: s3Auth });
    expect(failed.status).toBe(500);
    expect(failed.body.toString()).toContain('<Code>InternalError</Code>');
    proxy.setFaults({ errorRate: 0 });
  });

  it('EC2 (Action= form body): 503 RequestLimitExceeded in EC2 XML; 500 InternalError', async () => {
    proxy.setFaults({ throttleRate: 1 });
    const body = 'Action=RevokeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1';
    const throttled = await send(proxy.endpoint, { method: 'POST', path: '/', headers: ec2Auth, body });
    expect(throttled.status).toBe(503);
    expect(throttled.body.toString()).toMatch(
      /<Response><Errors><Error><Code>RequestLimitExceeded<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>/,
    );
    proxy.setFaults({ throttleRate: 0, errorRate: 1 });
    const failed = await send(proxy.endpoint, { method: 'POST', path: '/', headers: ec2Auth, body });
    expect(failed.status).toBe(500);
    expect(failed.body.toString()).toContain('<Errors><Error><Code>InternalError</Code>');
    proxy.setFaults({ errorRate: 0 });
  });

  it('JSON services (x-amz-target): 400 ThrottlingException', async () => {
    proxy.setFaults({ throttleRate: 1 });
    const reply = await send(proxy.endpoint, {
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StartLogging' },
      body: '{"Name":"t"}',
    });
    proxy.setFaults({ throttleRate: 0 });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body.toString())).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    expect(proxy.calls().at(-1)).toMatchObject({ operation: 'StartLogging', write: true, fault: 'throttle' });
  });

  it('ARM mode: 429 TooManyRequests with Retry-After: 0; 500 InternalServerError', async () => {
    const p = await startFaultProxy({ upstream: echo.endpoint, mode: 'arm', throttleRate: 1 });
    try {
      const reply = await send(p.endpoint, { method: 'PUT', path: '/subscriptions/s/resourceGroups/rg' });
      expect(reply.status).toBe(429);
      expect(reply.headers['retry-after']).toBe('0');
      expect(JSON.parse(reply.body.toString())).toMatchObject({ error: { code: 'TooManyRequests' } });
      p.setFaults({ throttleRate: 0, errorRate: 1 });
      const failed = await send(p.endpoint, { path: '/subscriptions/s' });
      expect(failed.status).toBe(500);
      expect(JSON.parse(failed.body.toString())).toMatchObject({ error: { code: 'InternalServerError' } });
      expect(p.calls().map((c) => [c.method, c.write, c.fault])).toEqual([
        ['PUT', true, 'throttle'],
        ['GET', false, 'error'],
      ]);
    } finally {
      await p.stop();
    }
  });

  it('never faults moto-api calls, and `match` narrows which requests may be faulted', async () => {
    const p = await startFaultProxy({ upstream: echo.endpoint, throttleRate: 1 });
    try {
      expect((await send(p.endpoint, { method: 'POST', path: '/moto-api/reset' })).status).toBe(207);
      p.setFaults({ match: (r) => r.write });
      expect((await send(p.endpoint, { path: '/b?acl', headers: s3Auth })).status).toBe(207);
      expect((await send(p.endpoint, { method: 'PUT', path: '/b?acl', headers: s3Auth })).status).toBe(503);
    } finally {
      await p.stop();
    }
  });

  it('adds latency', async () => {
    proxy.setFaults({ latencyMs: 120 });
    const started = Date.now();
    await send(proxy.endpoint, { path: '/' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    proxy.setFaults({ latencyMs: 0 });
  });

  it('rejects rates outside 0..1', async () => {
    expect(() => proxy.setFaults({ throttleRate: 1.5 })).toThrow(RangeError);
    await expect(startFaultProxy({ upstream: echo.endpoint, errorRate: -0.1 })).rejects.toThrow(RangeError);
  });
});

describe('counting and determinism', () => {
  async function run(seed: number, n: number): Promise<(string | undefined)[]> {
    const p = await startFaultProxy({ upstream: echo.endpoint, seed, throttleRate: 0.3, errorRate: 0.1 });
    try {
      for (let i = 0; i < n; i++) await send(p.endpoint, { method: 'PUT', path: `/b/k${i}`, headers: s3Auth });
      return p.calls().map((c) => c.fault);
    } finally {
      await p.stop();
    }
  }

  it('the same seed injects the same faults on the same requests', async () => {
    const a = await run(42, 40);
    const b = await run(42, 40);
    const c = await run(7, 40);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter((f) => f === 'throttle').length).toBeGreaterThan(0);
    expect(a.filter((f) => f === 'error').length).toBeGreaterThan(0);
  });

  it('mulberry32 is uniform enough for rates', () => {
    const random = mulberry32(123);
    const draws = Array.from({ length: 10_000 }, random);
    const share = draws.filter((r) => r < 0.3).length / draws.length;
    expect(share).toBeGreaterThan(0.28);
    expect(share).toBeLessThan(0.32);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  it('counts requests, forwards and faults by kind; logs each call; resets', async () => {
    const p = await startFaultProxy({ upstream: echo.endpoint, seed: 3 });
    try {
      await send(p.endpoint, { method: 'PUT', path: '/b?publicAccessBlock', headers: s3Auth });
      p.setFaults({ throttleRate: 1 });
      await send(p.endpoint, {
        method: 'POST',
        path: '/',
        headers: ec2Auth,
        body: 'Action=DescribeSecurityGroupRules',
      });
      p.setFaults({ throttleRate: 0, errorRate: 1 });
      await send(p.endpoint, { method: 'DELETE', path: '/b?encryption', headers: s3Auth });
      expect(p.stats()).toEqual({
        requests: 3,
        forwarded: 1,
        faults: { throttle: 1, error: 1, total: 2 },
        upstreamErrors: 0,
      });
      expect(
        p.calls().map(({ seq, method, operation, write, status, fault, protocol }) => ({
          seq,
          method,
          operation,
          write,
          status,
          fault,
          protocol,
        })),
      ).toEqual([
        {
          seq: 1,
          method: 'PUT',
          operation: 'PutPublicAccessBlock',
          write: true,
          status: 207,
          fault: undefined,
          protocol: 's3',
        },
        {
          seq: 2,
          method: 'POST',
          operation: 'DescribeSecurityGroupRules',
          write: false,
          status: 503,
          fault: 'throttle',
          protocol: 'ec2',
        },
        {
          seq: 3,
          method: 'DELETE',
          operation: 'DeleteBucketEncryption',
          write: true,
          status: 500,
          fault: 'error',
          protocol: 's3',
        },
      ]);
      p.resetStats();
      expect(p.stats()).toEqual({
        requests: 0,
        forwarded: 0,
        faults: { throttle: 0, error: 0, total: 0 },
        upstreamErrors: 0,
      });
      expect(p.calls()).toEqual([]);
    } finally {
      await p.stop();
    }
  });
});

describe('classifyRequest', () => {
  const none = Buffer.alloc(0);
  it('names S3, S3 Control, EC2 and JSON operations', () => {
    const op = (method: string, url: string, headers: http.IncomingHttpHeaders = s3Auth, body = none) =>
      classifyRequest(method, url, headers, body, 'aws').operation;
    expect(op('GET', '/')).toBe('ListBuckets');
    expect(op('PUT', '/b')).toBe('CreateBucket');
    expect(op('GET', '/b?list-type=2')).toBe('ListObjectsV2');
    expect(op('PUT', '/b?acl')).toBe('PutBucketAcl');
    expect(op('GET', '/b?policyStatus')).toBe('GetBucketPolicyStatus');
    expect(op('DELETE', '/b?ownershipControls')).toBe('DeleteBucketOwnershipControls');
    expect(op('PUT', '/b/k?x-id=PutObject')).toBe('PutObject');
    expect(op('GET', '/b/k?tagging')).toBe('GetObjectTagging');
    expect(op('DELETE', '/v20180820/configuration/publicAccessBlock')).toBe('DeletePublicAccessBlock');
    expect(op('POST', '/', ec2Auth, Buffer.from('Action=ModifySecurityGroupRules&Version=2016-11-15'))).toBe(
      'ModifySecurityGroupRules',
    );
    expect(op('POST', '/', { 'x-amz-target': 'CloudTrail_20131101.GetTrailStatus' })).toBe('GetTrailStatus');
  });
});
