import type { Fix, Step } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import { answerAbsent, isThrottling, unlessMissing } from '../src/errors.js';
import { facetsWritten } from '../src/s3/fixes.js';
import { policyVersion, withBucketPolicyLock, writingPolicy } from '../src/s3/policyLock.js';

const step = (fix: Partial<Fix> & { type: Fix['type'] }): Step =>
  ({ id: 's', rule: 'publicStorage', fix: fix as Fix, summary: '', calls: [] }) as Step;

describe('the verifying read of a bucket', () => {
  it('re-reads only the facets the applied steps wrote', () => {
    expect(facetsWritten([step({ type: 'block-public-access' })])).toEqual(['block']);
    expect(
      facetsWritten([
        step({ type: 'remove-public-statements' }),
        step({ type: 'require-secure-transport' }),
        step({ type: 'remove-public-grants' }),
      ]),
    ).toEqual(['policy', 'acl']);
    expect(facetsWritten([step({ type: 'enable-logging' }), step({ type: 'enable-encryption' })])).toEqual([
      'logging',
      'encryption',
    ]);
  });

  it('reads everything after a step it does not know (a lock-down)', () => {
    expect(facetsWritten([step({ type: 'block-public-access' }), step({ type: 'isolate' })])).toBeUndefined();
  });
});

describe('bucket policy write versions', () => {
  it('move before a write is sent and again when it ends, also when it fails', async () => {
    const bucket = 'versions-bucket';
    const v0 = policyVersion(bucket);
    let during = -1;
    await withBucketPolicyLock(bucket, () =>
      writingPolicy(bucket, async () => {
        during = policyVersion(bucket);
      }),
    );
    expect(during).toBe(v0 + 1);
    expect(policyVersion(bucket)).toBe(v0 + 2);
    await expect(
      writingPolicy(bucket, async () => {
        throw new Error('AccessDenied');
      }),
    ).rejects.toThrow('AccessDenied');
    expect(policyVersion(bucket)).toBe(v0 + 4);
    expect(policyVersion('another-bucket')).toBe(0);
  });
});

describe('"not configured" answers', () => {
  type Next = (args: unknown) => Promise<unknown>;
  type Middleware = (next: Next, context: { commandName?: string }) => Next;
  const client = () => {
    const added: Middleware[] = [];
    answerAbsent({ middlewareStack: { add: (mw: Middleware) => added.push(mw) } });
    return (commandName: string, next: Next) => added[0]!(next, { commandName });
  };
  const missing = Object.assign(new Error('no policy'), {
    name: 'NoSuchBucketPolicy',
    $metadata: { httpStatusCode: 404 },
  });

  it('are successes inside the SDK retry loop (so a retry before them is paid back), absent to the reader', async () => {
    const answer = await client()('GetBucketPolicyCommand', () => Promise.reject(missing))({});
    expect(answer).toMatchObject({ output: { $metadata: { httpStatusCode: 404 } } });
    expect(await unlessMissing(Promise.resolve((answer as { output: unknown }).output), [], null)).toBeNull();
  });

  it('other errors, and the same code from other commands, pass through', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDenied' });
    await expect(client()('GetBucketPolicyCommand', () => Promise.reject(denied))({})).rejects.toBe(denied);
    await expect(client()('PutBucketPolicyCommand', () => Promise.reject(missing))({})).rejects.toBe(missing);
    expect(await unlessMissing(Promise.resolve({ Policy: '{}' }), ['NoSuchBucketPolicy'], null)).toEqual({
      Policy: '{}',
    });
  });

  it('throttling is told apart', () => {
    expect(isThrottling(Object.assign(new Error('x'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }))).toBe(
      true,
    );
    expect(isThrottling(missing)).toBe(false);
  });
});
