import { z } from 'zod';

/** The policy file. Keys are the contract; the schema may grow around them. Objects are strict so typos are errors. */
export const ModeSchema = z.enum(['enforce', 'dry-run', 'off']);

const RuleMode = { mode: ModeSchema.optional() };
const armId = z.string().regex(/^\/subscriptions\//i, 'expected an ARM id (/subscriptions/...)');
const portSpec = z.union([
  z.number().int().min(0).max(65535),
  z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'expected a port or a range such as 8000-8080'),
]);

export const RulesSchema = z
  .object({
    publicStorage: z.object(RuleMode).strict(),
    openIngress: z
      .object({
        ...RuleMode,
        /** A source CIDR whose prefix is this short or shorter counts as open (0: only /0 is the world). */
        openPrefixAtMost: z.number().int().min(0).max(32).default(0),
      })
      .strict(),
    unencryptedStorage: z
      .object({
        ...RuleMode,
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
      })
      .strict(),
    storageWithoutLogging: z
      .object({
        ...RuleMode,
        aws: z
          .object({ targetBucket: z.string().min(3), targetPrefix: z.string().optional() })
          .strict()
          .optional(),
        azure: z.object({ workspaceId: armId }).strict().optional(),
      })
      .strict(),
    insecureTransport: z.object({ ...RuleMode, minimumTls: z.enum(['TLS1_2', 'TLS1_3']).default('TLS1_2') }).strict(),
    trailLoggingStopped: z.object(RuleMode).strict(),
    networkWithoutFlowLogs: z
      .object({
        ...RuleMode,
        aws: z
          .object({
            /** An S3 bucket ARN or a CloudWatch Logs log group ARN. */
            destination: z.string().startsWith('arn:'),
            trafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']).default('ALL'),
          })
          .strict()
          .optional(),
        azure: z.object({ storageAccountId: armId, workspaceId: armId.optional() }).strict().optional(),
      })
      .strict(),
    ebsEncryptionByDefaultOff: z.object(RuleMode).strict(),
    accountPublicAccessUnblocked: z.object(RuleMode).strict(),
  })
  .partial()
  .strict();

const AllowResource = z
  .object({
    /** A glob over the ARN / ARM id (`*` matches anything, `?` one character). */
    match: z.string().min(1),
    rules: z.array(z.string()).optional(),
    reason: z.string().optional(),
  })
  .strict();

const PublicIngress = z
  .object({
    match: z.string().min(1),
    ports: z.array(portSpec).min(1),
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
  })
  .strict();

export const PolicySchema = z
  .object({
    version: z.literal(1),
    /** Default mode of every rule; when absent: dry-run. */
    mode: ModeSchema.default('dry-run'),
    /** Turns every rule to dry-run (also: REFLEX_KILL_SWITCH=on). */
    killSwitch: z.boolean().default(false),
    rules: RulesSchema.default({}),
    identities: z
      .object({
        aws: z.array(z.string().startsWith('arn:')).default([]),
        azure: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ aws: [], azure: [] }),
    allow: z
      .object({
        resources: z.array(AllowResource).default([]),
        publicIngress: z.array(PublicIngress).default([]),
        /** Sources never treated as open, even when wide. */
        cidrs: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR')).default([]),
      })
      .strict()
      .default({ resources: [], publicIngress: [], cidrs: [] }),
    exemptions: z
      .object({
        tag: z.string().min(1).default('reflex:exempt'),
        /** An exemption whose expiry is further away than this is treated as malformed. */
        maxDays: z.number().int().positive().default(90),
      })
      .strict()
      .default({ tag: 'reflex:exempt', maxDays: 90 }),
    blastRadius: z
      .object({ limit: z.number().int().min(0).default(25), windowMinutes: z.number().int().positive().default(60) })
      .strict()
      .default({ limit: 25, windowMinutes: 60 }),
    tickets: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type RulesConfig = NonNullable<Policy['rules']>;
