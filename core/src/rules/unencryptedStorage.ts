import * as z from 'zod';
import type { StoragePosture } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import type { RuleDef } from './types.js';

const config = ruleConfig({
  aws: z
    .object({
      algorithm: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']).default('AES256'),
      kmsKeyId: z.string().optional(),
    })
    .strict()
    .optional(),
  azure: z
    .object({
      requireInfrastructureEncryption: z.boolean().default(false),
      keyVaultKeyUri: z.string().url().optional(),
    })
    .strict()
    .optional(),
});
export type EnableEncryptionFix = {
  type: 'enable-encryption';
  algorithm: string;
  keyId?: string;
  infrastructure?: boolean;
};

/** Encryption at rest off, or weaker than the policy asks. */
export const unencryptedStorage: RuleDef<'unencryptedStorage', StoragePosture, typeof config, EnableEncryptionFix> = {
  name: 'unencryptedStorage',
  appliesTo: 'storage',
  severity: 'high',
  description:
    'Storage without default encryption at rest, or with weaker encryption than the policy requires. AWS: sets ' +
    'default encryption (SSE-S3, or SSE-KMS with the policy key and S3 Bucket Key on). Azure: platform encryption ' +
    'is always on; infrastructure encryption or a customer-managed key is reported only where the policy asks ' +
    '(infrastructure encryption cannot be turned on in place, so it is ticketed).',
  config,
  fixes: {
    'enable-encryption': (fix) =>
      `enable default encryption ${fix.algorithm}${fix.keyId ? ` with key ${fix.keyId}` : ''}`,
  },
  evaluate(p, policy) {
    const cfg = policy.rules.unencryptedStorage;
    if (p.ref.cloud === 'aws') {
      const want = cfg?.aws ?? { algorithm: 'AES256' as const };
      const weaker = p.encryption.enabled && want.algorithm !== 'AES256' && p.encryption.algorithm === 'AES256';
      const wrongKey = p.encryption.enabled && want.kmsKeyId !== undefined && p.encryption.keyId !== want.kmsKeyId;
      if (p.encryption.enabled && !weaker && !wrongKey) return null;
      return {
        rule: 'unencryptedStorage',
        resource: p.ref,
        severity: 'high',
        title: p.encryption.enabled
          ? `${p.ref.name} is not encrypted as the policy requires`
          : `${p.ref.name} has no default encryption`,
        evidence: [
          p.encryption.enabled ? `encrypted with ${p.encryption.algorithm}` : 'no default encryption configuration',
        ],
        fixes: [
          {
            type: 'enable-encryption',
            // Dual-layer KMS already on stays dual-layer when only its key is wrong: a fix never lowers a setting.
            algorithm:
              want.algorithm === 'aws:kms' && p.encryption.algorithm === 'aws:kms:dsse'
                ? 'aws:kms:dsse'
                : want.algorithm,
            ...(want.kmsKeyId ? { keyId: want.kmsKeyId } : {}),
          },
        ],
      };
    }
    const az = cfg?.azure;
    const evidence: string[] = [];
    if (!p.encryption.enabled) evidence.push('encryption at rest is off');
    if (az?.requireInfrastructureEncryption && !p.encryption.infrastructure)
      evidence.push('infrastructure encryption is off');
    if (az?.keyVaultKeyUri && p.encryption.keyId !== az.keyVaultKeyUri)
      evidence.push('not encrypted with the required customer-managed key');
    if (evidence.length === 0) return null;
    return {
      rule: 'unencryptedStorage',
      resource: p.ref,
      severity: 'medium',
      title: `${p.ref.name} is not encrypted as the policy requires`,
      evidence,
      // A customer-managed key can be set in place; infrastructure encryption only at creation: a human decides.
      fixes:
        az?.keyVaultKeyUri && p.encryption.keyId !== az.keyVaultKeyUri
          ? [{ type: 'enable-encryption', algorithm: 'Microsoft.Keyvault', keyId: az.keyVaultKeyUri }]
          : [],
    };
  },
};
