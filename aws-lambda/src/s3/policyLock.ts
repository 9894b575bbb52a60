/**
 * Bucket-policy writes are read-modify-write of one document. Within a container (a sweep fixes many buckets
 * at once, and a source bucket's logging fix edits the log bucket's policy) they are serialised per bucket,
 * so two fixes never overwrite each other. Across containers the verify step catches a lost write.
 */
const tails = new Map<string, Promise<unknown>>();

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
