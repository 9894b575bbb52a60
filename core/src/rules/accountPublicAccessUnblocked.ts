import type { AccountPosture } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import { BLOCK_ALL, type BlockPublicAccessFix, flagsOff, summarizeBlockPublicAccess } from './blockPublicAccess.js';
import type { RuleDef } from './types.js';

const config = ruleConfig();

export const accountPublicAccessUnblocked: RuleDef<
  'accountPublicAccessUnblocked',
  AccountPosture,
  typeof config,
  BlockPublicAccessFix
> = {
  name: 'accountPublicAccessUnblocked',
  appliesTo: 'account',
  severity: 'critical',
  description:
    'The account-level S3 Block Public Access was removed or weakened (Security Hub S3.1). The fix restores all four flags.',
  config,
  fixes: { 'block-public-access': summarizeBlockPublicAccess },
  gates: ['block-public-access'],
  evaluate(p) {
    if (p.s3PublicAccessBlock === undefined) return null;
    const block = p.s3PublicAccessBlock;
    const off = flagsOff(block);
    if (off.length === 0) return null;
    return {
      rule: 'accountPublicAccessUnblocked',
      resource: p.ref,
      severity: 'critical',
      title: `S3 account-level Block Public Access is off in ${p.ref.account}`,
      evidence: [block ? `off: ${off.join(', ')}` : 'no account-level Block Public Access configuration'],
      fixes: [{ type: 'block-public-access', block: BLOCK_ALL, scope: 'account' }],
    };
  },
};
