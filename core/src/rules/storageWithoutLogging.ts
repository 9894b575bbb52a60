import * as z from 'zod';
import type { StoragePosture } from '../model/index.js';
import { armId, ruleConfig } from '../policy/ruleConfig.js';
import type { RuleDef } from './types.js';

const config = ruleConfig({
  aws: z
    .object({ targetBucket: z.string().min(3), targetPrefix: z.string().optional() })
    .strict()
    .optional(),
  azure: z.object({ workspaceId: armId }).strict().optional(),
});
export type EnableLoggingFix = { type: 'enable-logging'; target: string; prefix?: string };

/** Access logging off. */
export const storageWithoutLogging: RuleDef<'storageWithoutLogging', StoragePosture, typeof config, EnableLoggingFix> =
  {
    name: 'storageWithoutLogging',
    appliesTo: 'storage',
    severity: 'medium',
    description:
      'Storage whose access is not logged. AWS: server access logging to the policy log bucket with the prefix ' +
      '<bucket>/ (log delivery is granted by the target bucket policy, not ACLs). Azure: a diagnostic setting on ' +
      'the blob service sending StorageRead/StorageWrite/StorageDelete to the policy Log Analytics workspace.',
    config,
    fixes: {
      'enable-logging': (fix) => `enable access logging to ${fix.target}${fix.prefix ? ` (prefix ${fix.prefix})` : ''}`,
    },
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
