import { CreateBucketCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers, policy, resetWorld, startWorld, type World, writeCalls } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

describe('manual request bounds (moto)', () => {
  it('a 450 KB reason is refused with a typed error before anything is read or written; the handler keeps serving', async () => {
    await resetWorld(world);
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'bounds-bucket' }));
    const { manual, audit } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await manual({
      action: 'contain',
      resource: 'arn:aws:s3:::bounds-bucket',
      reason: 'x'.repeat(450_000),
      requestedBy: 'mallory',
    });
    expect(report.errors?.[0]).toMatchObject({ code: 'MalformedEvent', message: expect.stringMatching(/reason/) });
    expect(report.errors?.[0]?.message.length).toBeLessThan(500);
    expect(world.proxy.calls()).toEqual([]); // not even a read
    expect(writeCalls(world)).toEqual([]);
    expect(audit.records).toEqual([]);
    const missing = (p: Promise<unknown>) =>
      p.then(
        () => 'present',
        (e: { name?: string }) => e.name,
      );
    expect(await missing(world.direct.s3.send(new GetPublicAccessBlockCommand({ Bucket: 'bounds-bucket' })))).toBe(
      'NoSuchPublicAccessBlockConfiguration',
    );
    expect(await missing(world.direct.s3.send(new GetBucketPolicyCommand({ Bucket: 'bounds-bucket' })))).toBe(
      'NoSuchBucketPolicy',
    );
    // The same handler serves the next request.
    const next = await manual({ action: 'remediate', resource: 'arn:aws:s3:::bounds-bucket', dryRun: true });
    expect(next.errors).toBeUndefined();
    expect(next.outcomes.length).toBeGreaterThan(0);
  });
});
