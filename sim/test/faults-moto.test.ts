import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../src/faults/index.js';
import { awsClientConfig, type MotoServer, startMoto } from '../src/moto/index.js';

// The real SDK v3 clients, their own retry strategies, moto behind a proxy that throttles 30% of calls.

let moto: MotoServer;
let proxy: FaultProxy;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint, seed: 2024 });
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.setFaults({ throttleRate: 0, errorRate: 0, seed: 2024 });
  proxy.resetStats();
});

/** Run `count` operations, `width` at a time. */
async function inBatches<T>(count: number, width: number, op: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = Array.from({ length: Math.min(width, count - start) }, (_, j) => op(start + j));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

const retries = (results: { $metadata: { attempts?: number } }[]) =>
  results.reduce((sum, r) => sum + (r.$metadata.attempts ?? 1) - 1, 0);

describe('SDK retries through injected throttling', () => {
  it('S3 (retryMode standard, maxAttempts 10): 50 PutObject through 30% SlowDown all land, once each', async () => {
    const direct = new S3Client(awsClientConfig(moto.endpoint));
    await direct.send(new CreateBucketCommand({ Bucket: 'through-throttling' }));
    const s3 = new S3Client({ ...awsClientConfig(proxy.endpoint), retryMode: 'standard', maxAttempts: 10 });
    proxy.setFaults({ throttleRate: 0.3 });

    const results = await inBatches(50, 50, (i) =>
      s3.send(new PutObjectCommand({ Bucket: 'through-throttling', Key: `k${i}`, Body: `body ${i}` })),
    );

    const stats = proxy.stats();
    expect(stats.faults.throttle).toBeGreaterThan(0);
    // Every injected fault was seen as retryable: exactly one extra attempt per fault, none gave up.
    expect(retries(results)).toBe(stats.faults.total);
    const puts = proxy.calls().filter((c) => c.operation === 'PutObject');
    expect(puts.filter((c) => c.status === 200)).toHaveLength(50);
    expect(puts.filter((c) => c.status === 503)).toHaveLength(stats.faults.throttle);

    proxy.setFaults({ throttleRate: 0 });
    const listed = await direct.send(new ListObjectsV2Command({ Bucket: 'through-throttling' }));
    expect(listed.KeyCount).toBe(50);
    const one = await direct.send(new GetObjectCommand({ Bucket: 'through-throttling', Key: 'k37' }));
    expect(await one.Body?.transformToString()).toBe('body 37');
  });

  it('EC2 (retryMode standard, maxAttempts 10): 50 CreateSecurityGroup through 30% RequestLimitExceeded', async () => {
    const ec2 = new EC2Client({ ...awsClientConfig(proxy.endpoint), retryMode: 'standard', maxAttempts: 10 });
    proxy.setFaults({ throttleRate: 0.3 });

    const results = await inBatches(50, 50, (i) =>
      ec2.send(new CreateSecurityGroupCommand({ GroupName: `g${i}`, Description: 'throttled' })),
    );

    const stats = proxy.stats();
    expect(stats.faults.throttle).toBeGreaterThan(0);
    expect(retries(results)).toBe(stats.faults.total);
    const creates = proxy.calls().filter((c) => c.operation === 'CreateSecurityGroup');
    expect(creates.filter((c) => c.status === 200)).toHaveLength(50);
    expect(creates.every((c) => c.write)).toBe(true);

    const direct = new EC2Client(awsClientConfig(moto.endpoint));
    const groups = await direct.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'description', Values: ['throttled'] }] }),
    );
    expect(groups.SecurityGroups).toHaveLength(50);
    expect(new Set(results.map((r) => r.GroupId)).size).toBe(50);
  });

  it('S3 and EC2 also retry injected 500 InternalError', async () => {
    const s3 = new S3Client({ ...awsClientConfig(proxy.endpoint), maxAttempts: 10 });
    const ec2 = new EC2Client({ ...awsClientConfig(proxy.endpoint), maxAttempts: 10 });
    await s3.send(new CreateBucketCommand({ Bucket: 'through-errors' }));
    proxy.resetStats();
    proxy.setFaults({ errorRate: 0.3 });

    const results = [
      ...(await inBatches(10, 10, (i) =>
        s3.send(new PutObjectCommand({ Bucket: 'through-errors', Key: `k${i}`, Body: 'x' })),
      )),
      ...(await inBatches(10, 10, () => ec2.send(new DescribeSecurityGroupsCommand({})))),
    ];

    expect(proxy.stats().faults.error).toBeGreaterThan(0);
    expect(retries(results)).toBe(proxy.stats().faults.total);
  });
});
