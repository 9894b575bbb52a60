import type { StoragePosture } from '../model/index.js';
import type { Rule } from './types.js';

/** Encryption at rest off, or weaker than the policy asks. */
export const unencryptedStorage: Rule<StoragePosture> = {
  name: 'unencryptedStorage',
  appliesTo: 'storage',
  severity: 'high',
  description:
    'Storage without default encryption at rest, or with weaker encryption than the policy requires. AWS: sets ' +
    'default encryption (SSE-S3, or SSE-KMS with the policy key and S3 Bucket Key on). Azure: platform encryption ' +
    'is always on; infrastructure encryption or a customer-managed key is reported only where the policy asks ' +
    '(infrastructure encryption cannot be turned on in place, so it is ticketed).',
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

/** Access logging off. */
export const storageWithoutLogging: Rule<StoragePosture> = {
  name: 'storageWithoutLogging',
  appliesTo: 'storage',
  severity: 'medium',
  description:
    'Storage whose access is not logged. AWS: server access logging to the policy log bucket with the prefix ' +
    '<bucket>/ (log delivery is granted by the target bucket policy, not ACLs). Azure: a diagnostic setting on ' +
    'the blob service sending StorageRead/StorageWrite/StorageDelete to the policy Log Analytics workspace.',
  evaluate(p, policy) {
    if (p.logging.enabled) return null;
    const cfg = policy.rules.storageWithoutLogging;
    const target = p.ref.cloud === 'aws' ? cfg?.aws?.targetBucket : cfg?.azure?.workspaceId;
    // The log bucket itself is exempt: logging it into itself would log its own log writes, forever.
    if (p.ref.cloud === 'aws' && target === p.ref.name) return null;
    const where =
      p.ref.cloud === 'aws'
        ? 'rules.storageWithoutLogging.aws.targetBucket'
        : 'rules.storageWithoutLogging.azure.workspaceId';
    return {
      rule: 'storageWithoutLogging',
      resource: p.ref,
      severity: 'medium',
      title: `${p.ref.name} has access logging off`,
      evidence: ['access logging is not enabled', ...(target ? [] : [`no log target configured (set ${where})`])],
      fixes: target
        ? [
            {
              type: 'enable-logging',
              target,
              prefix: p.ref.cloud === 'aws' ? `${cfg?.aws?.targetPrefix ?? ''}${p.ref.name}/` : undefined,
            },
          ]
        : [],
    };
  },
};

const TLS_ORDER = ['TLS1_0', 'TLS1_1', 'TLS1_2', 'TLS1_3'];

/**
 * The minimum TLS version the fix writes, or undefined when the current one must stay: already as strict as the
 * policy or stricter (TLS1_3 under a TLS1_2 policy), or a value this code does not know (a newer version is never
 * lowered to an older one it does understand).
 */
export function tlsToRaise(current: string | undefined, policyMinimum: string): string | undefined {
  const rank = TLS_ORDER.indexOf(current ?? 'TLS1_0');
  if (rank < 0) return undefined;
  return rank < TLS_ORDER.indexOf(policyMinimum) ? policyMinimum : undefined;
}

/** Plain HTTP allowed, or TLS older than the policy minimum. */
export const insecureTransport: Rule<StoragePosture> = {
  name: 'insecureTransport',
  appliesTo: 'storage',
  severity: 'medium',
  description:
    'Storage that accepts plain HTTP or old TLS. Azure: supportsHttpsTrafficOnly=true and minimumTlsVersion ' +
    '(TLS1_2 by default; a stricter one is kept) in one PATCH. AWS: adds a bucket-policy statement denying requests ' +
    'where aws:SecureTransport is false, keeping every other statement.',
  evaluate(p, policy) {
    const min = policy.rules.insecureTransport?.minimumTls ?? 'TLS1_2';
    const evidence: string[] = [];
    if (!p.transport.httpsOnly)
      evidence.push(p.ref.cloud === 'aws' ? 'no policy statement denies non-TLS requests' : 'HTTP traffic is allowed');
    const raise = p.ref.cloud === 'azure' ? tlsToRaise(p.transport.minimumTls, min) : undefined;
    if (raise) evidence.push(`minimum TLS version is ${p.transport.minimumTls ?? 'unset (TLS1_0)'}`);
    if (evidence.length === 0) return null;
    return {
      rule: 'insecureTransport',
      resource: p.ref,
      severity: 'medium',
      title: `${p.ref.name} accepts insecure transport`,
      evidence,
      fixes: [{ type: 'require-secure-transport', ...(raise ? { minimumTls: raise } : {}) }],
    };
  },
};
