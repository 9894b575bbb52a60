import { CreateSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../src/faults/index.js';
import { awsClientConfig, type MotoServer, startMoto } from '../src/moto/index.js';

// retryMode 'adaptive' adds a client-side rate limiter that slows the client down after each throttle:
// correct, but markedly slower under heavy throttling (about 8 s for these 20 calls), so it has a file of its own.

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

describe('retryMode adaptive through 30% throttling', () => {
  it('EC2 and S3 calls all complete, each fault retried once', async () => {
    const config = { ...awsClientConfig(proxy.endpoint), retryMode: 'adaptive', maxAttempts: 10 };
    const ec2 = new EC2Client(config);
    const s3 = new S3Client(config);
    await s3.send(new CreateBucketCommand({ Bucket: 'adaptive' }));
    proxy.setFaults({ throttleRate: 0.3 });

    const groups = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ec2.send(new CreateSecurityGroupCommand({ GroupName: `a${i}`, Description: 'adaptive' })),
      ),
    );
    const puts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s3.send(new PutObjectCommand({ Bucket: 'adaptive', Key: `k${i}`, Body: 'x' })),
      ),
    );

    const stats = proxy.stats();
    expect(stats.faults.throttle).toBeGreaterThan(0);
    const retries = [...groups, ...puts].reduce((sum, r) => sum + (r.$metadata.attempts ?? 1) - 1, 0);
    expect(retries).toBe(stats.faults.total);
    expect(new Set(groups.map((g) => g.GroupId)).size).toBe(10);
    const landed = proxy.calls().filter((c) => c.write && c.status === 200 && c.operation !== 'CreateBucket');
    expect(landed).toHaveLength(20);
  });
});
