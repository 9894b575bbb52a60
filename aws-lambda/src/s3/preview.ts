import type { AclGrant, Step, StoragePosture } from '@reflex/core';
import { policyRead } from './posture.js';

const sameGrant = (a: AclGrant, b: AclGrant) =>
  a.granteeType === b.granteeType && a.grantee === b.grantee && a.permission === b.permission;

/**
 * A bucket step's before and intended after, from the posture, in the shapes `applyBucketSteps` records: what the
 * write-ahead audit record holds before the write is sent. A policy step's after is decided under the bucket's lock
 * at write time (from a fresh read unless the posture's was made under the lease still held), so only its before
 * is known here.
 */
export function previewBucketStep(step: Step, p: StoragePosture): { before: unknown; after: unknown } | undefined {
  const { fix } = step;
  switch (fix.type) {
    case 'block-public-access':
      return { before: p.publicAccess.bucketBlock ?? null, after: fix.block };
    case 'remove-public-grants': {
      const acl = p.publicAccess.acl;
      if (!acl) return undefined;
      return {
        before: acl,
        after: { owner: acl.owner, grants: acl.grants.filter((g) => !fix.grants.some((r) => sameGrant(r, g))) },
      };
    }
    case 'remove-public-statements':
    case 'require-secure-transport': {
      const read = policyRead(p);
      return read ? { before: read.text, after: undefined } : undefined;
    }
    case 'enable-encryption':
      return {
        before: p.encryption,
        after: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: fix.algorithm,
                ...(fix.keyId ? { KMSMasterKeyID: fix.keyId } : {}),
              },
              BucketKeyEnabled: fix.algorithm.startsWith('aws:kms'),
            },
          ],
        },
      };
    case 'enable-logging':
      return {
        before: { logging: p.logging },
        after: { logging: { enabled: true, target: fix.target, prefix: fix.prefix ?? `${p.ref.name}/` } },
      };
    default:
      return undefined;
  }
}
