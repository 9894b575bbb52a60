/**
 * Bucket-policy writes are read-modify-write of one document. Within a container (a sweep fixes many buckets
 * at once, and a source bucket's logging fix edits the log bucket's policy) they are serialised per bucket,
 * so two fixes never overwrite each other. Across containers the verify step catches a lost write.
 *
 * Each bucket also has a write version: bumped when this container starts a policy write to the bucket and again
 * when the write ends. A policy read (the posture's) notes the version before it is sent; a writer holding the lock
 * may trust that read instead of reading the policy again only while the version is unchanged, i.e. no write of
 * this container overlapped or followed the read.
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
