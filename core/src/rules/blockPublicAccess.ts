import type { PublicAccessBlock } from '../model/posture.js';

/** All four S3 Block Public Access flags on: what both the bucket and the account fix write. */
export const BLOCK_ALL = {
  blockPublicAcls: true,
  ignorePublicAcls: true,
  blockPublicPolicy: true,
  restrictPublicBuckets: true,
};

/** Turn all four flags on, for one bucket (publicStorage) or the account (accountPublicAccessUnblocked). */
export type BlockPublicAccessFix = {
  type: 'block-public-access';
  block: PublicAccessBlock;
  scope: 'bucket' | 'account';
};

/** The flags that are off; every flag when no block is configured at all. */
export function flagsOff(block: PublicAccessBlock | null | undefined): string[] {
  return block
    ? Object.entries(block)
        .filter(([, v]) => !v)
        .map(([k]) => k)
    : ['all four flags'];
}

export const summarizeBlockPublicAccess = (fix: BlockPublicAccessFix): string =>
  `turn on all four Block Public Access flags (${fix.scope})`;
