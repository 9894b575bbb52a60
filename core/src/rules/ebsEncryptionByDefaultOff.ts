import type { AccountPosture } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import type { RuleDef } from './types.js';

const config = ruleConfig();
export type EnableEbsDefaultEncryptionFix = { type: 'enable-ebs-default-encryption' };

export const ebsEncryptionByDefaultOff: RuleDef<
  'ebsEncryptionByDefaultOff',
  AccountPosture,
  typeof config,
  EnableEbsDefaultEncryptionFix
> = {
  name: 'ebsEncryptionByDefaultOff',
  appliesTo: 'account',
  severity: 'high',
  description:
    'EBS encryption by default turned off in a region (DisableEbsEncryptionByDefault). The fix turns it back on.',
  config,
  fixes: { 'enable-ebs-default-encryption': () => 'turn on EBS encryption by default' },
  evaluate(p) {
    if (p.ebsEncryptionByDefault !== false) return null;
    return {
      rule: 'ebsEncryptionByDefaultOff',
      resource: p.ref,
      severity: 'high',
      title: `EBS encryption by default is off in ${p.ref.region}`,
      evidence: ['EbsEncryptionByDefault=false'],
      fixes: [{ type: 'enable-ebs-default-encryption' }],
    };
  },
};
