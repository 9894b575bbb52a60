import * as z from 'zod';
import type { StoragePosture } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import { tlsToRaise } from './minimumTls.js';
import type { RuleDef } from './types.js';

const config = ruleConfig({ minimumTls: z.enum(['TLS1_2', 'TLS1_3']).default('TLS1_2') });
export type RequireSecureTransportFix = { type: 'require-secure-transport'; minimumTls?: string };

/** Plain HTTP allowed, or TLS older than the policy minimum. */
export const insecureTransport: RuleDef<'insecureTransport', StoragePosture, typeof config, RequireSecureTransportFix> =
  {
    name: 'insecureTransport',
    appliesTo: 'storage',
    severity: 'medium',
    description:
      'Storage that accepts plain HTTP or old TLS. Azure: supportsHttpsTrafficOnly=true and minimumTlsVersion ' +
      '(TLS1_2 by default; a stricter one is kept) in one PATCH. AWS: adds a bucket-policy statement denying requests ' +
      'where aws:SecureTransport is false, keeping every other statement.',
    config,
    fixes: { 'require-secure-transport': (fix) => `require HTTPS${fix.minimumTls ? ` and ${fix.minimumTls}` : ''}` },
    evaluate(p, policy) {
      const min = policy.rules.insecureTransport?.minimumTls ?? 'TLS1_2';
      const evidence: string[] = [];
      if (!p.transport.httpsOnly)
        evidence.push(
          p.ref.cloud === 'aws' ? 'no policy statement denies non-TLS requests' : 'HTTP traffic is allowed',
        );
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
