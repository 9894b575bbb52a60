import { leaseToken, type ResourceRef, resourceLeaseKey } from '@reflex/core';

/**
 * Bucket-policy writes are read-modify-write of one document. Within a container (a sweep fixes many buckets
 * at once, and a source bucket's logging fix edits the log bucket's policy) they are serialised per bucket,
 * so two fixes never overwrite each other. Across containers the engine holds the bucket's lease (the state
 * table) from its read to its verify; the log bucket's policy is written under that bucket's lease.
 *
 * Each bucket also has a write version: bumped when this container starts a policy write to the bucket and again
 * when the write ends. A policy read (the posture's) notes the version and the lease it was made under; a writer
 * holding the lock may trust that read instead of reading the policy again only while it still holds that same
 * lease (no other container wrote since) and the version is unchanged (no write of this container overlapped or
 * followed the read). Otherwise it reads the policy again: under the lock, and under the lease when there is one.
 */
const tails = new Map<string, Promise<unknown>>();
const versions = new Map<string, number>();

export function withBucketPolicyLock<T>(bucket: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(bucket) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  tails.set(bucket, tail);
  void tail.then(() => {
    if (tails.get(bucket) === tail) tails.delete(bucket);
  });
  return run;
}

/** The bucket's policy write version in this container (0 until the first write). */
export function policyVersion(bucket: string): number {
  return versions.get(bucket) ?? 0;
}

/** A policy write (put or delete) to `bucket`: the version moves before it is sent and again once it has ended. */
export async function writingPolicy<T>(bucket: string, write: () => Promise<T>): Promise<T> {
  versions.set(bucket, policyVersion(bucket) + 1);
  try {
    return await write();
  } finally {
    versions.set(bucket, policyVersion(bucket) + 1);
  }
}

/** A policy read: the container's write version when it was sent, and the lease (token) it was made under. */
export interface PolicyReadMark {
  version: number;
  lease: string | undefined;
}

/** The mark to note on a policy read of the bucket `ref` about to be sent. */
export function policyReadMark(ref: ResourceRef): PolicyReadMark {
  return { version: policyVersion(ref.name), lease: leaseToken(resourceLeaseKey(ref)) };
}

/** May a writer use this read instead of reading the policy again? Only under the lease it was made under. */
export function policyReadTrusted(ref: ResourceRef, read: PolicyReadMark | undefined): boolean {
  if (!read || read.lease === undefined) return false;
  return read.version === policyVersion(ref.name) && read.lease === leaseToken(resourceLeaseKey(ref));
}
