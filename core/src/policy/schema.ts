import * as z from 'zod';
import { RULE_CONFIGS, RULE_NAMES } from '../rules/registry.js';
import { ModeSchema } from './ruleConfig.js';

/** The policy file. Keys are the contract; the schema may grow around them. Objects are strict so typos are errors. */
export { ModeSchema } from './ruleConfig.js';

/** `rules.<name>`: each rule's own section, from its file (see rules/registry.ts). */
export const RulesSchema = z.object(RULE_CONFIGS).partial().strict();

const portSpec = z.union([
  z.number().int().min(0).max(65535),
  z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'expected a port or a range such as 8000-8080'),
]);

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

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
const sinkUrl = z.string().url();
const enabled = z.boolean().default(true);
const trackerLabel = z.string().regex(/^\S{1,100}$/, 'expected a label without spaces');

/**
 * Where tickets go. Each section present (and not `enabled: false`) turns a sink on. Only non-secret settings live
 * here; every secret is read from the environment variable named by its `*Env` key (defaults shown), which is where
 * AWS Secrets Manager values and Azure Key Vault references arrive. Nothing configured: JSON lines to stdout.
 */
export const TicketsSchema = z
  .object({
    /** Per call to a ticket system: tries, backoff and timeout. */
    retry: z
      .object({
        attempts: z.number().int().min(1).max(10).default(3),
        baseDelayMs: z.number().int().min(0).max(60_000).default(300),
        maxDelayMs: z.number().int().min(0).max(300_000).default(5_000),
        timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
      })
      .strict()
      .optional(),
    /** How long the list of open tickets used by `resolve` may be reused (0: look each key up). */
    indexTtlSeconds: z.number().int().min(0).max(3600).default(30),
    jsonl: z
      .object({ enabled, /** A file to append to; absent or `-`: stdout. */ path: z.string().min(1).optional() })
      .strict()
      .optional(),
    jira: z
      .object({
        enabled,
        /** `https://<site>.atlassian.net` */
        baseUrl: sinkUrl,
        projectKey: z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'expected a Jira project key such as SEC'),
        issueType: z.string().min(1).default('Task'),
        /** The account's email for basic auth; or the variable that holds it. */
        email: z.string().email().optional(),
        emailEnv: envName.default('REFLEX_JIRA_EMAIL'),
        tokenEnv: envName.default('REFLEX_JIRA_TOKEN'),
        /** Jira priority names by severity; omitted: no priority is sent. */
        priorities: z
          .object({
            low: z.string().min(1).optional(),
            medium: z.string().min(1).optional(),
            high: z.string().min(1).optional(),
            critical: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
        labels: z.array(trackerLabel).optional(),
        /** The transition that resolves; default: the first into a Done-category status. */
        doneTransition: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    servicenow: z
      .object({
        enabled,
        /** `https://<instance>.service-now.com` */
        instanceUrl: sinkUrl,
        table: z
          .string()
          .regex(/^[a-z0-9_]+$/)
          .default('incident'),
        auth: z.enum(['basic', 'bearer']).default('basic'),
        user: z.string().min(1).optional(),
        userEnv: envName.default('REFLEX_SERVICENOW_USER'),
        passwordEnv: envName.default('REFLEX_SERVICENOW_PASSWORD'),
        /** An OAuth access token, for `auth: bearer`. */
        tokenEnv: envName.default('REFLEX_SERVICENOW_TOKEN'),
        assignmentGroup: z.string().min(1).optional(),
        callerId: z.string().min(1).optional(),
        category: z.string().min(1).optional(),
        closeCode: z.string().min(1).default('Solution provided'),
        /** Further incident fields set on create. */
        fields: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
    github: z
      .object({
        enabled,
        repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name'),
        /** GitHub Enterprise Server: `https://<host>/api/v3`. */
        baseUrl: sinkUrl.optional(),
        tokenEnv: envName.default('REFLEX_GITHUB_TOKEN'),
        labels: z.array(z.string().min(1).max(50)).optional(),
      })
      .strict()
      .optional(),
    slack: z
      .object({
        enabled,
        /** The incoming webhook URL is the credential, so it comes from the environment. */
        webhookUrlEnv: envName.default('REFLEX_SLACK_WEBHOOK_URL'),
        /** `filed`: post "resolved" only for messages this process posted; `never`. */
        resolve: z.enum(['filed', 'never']).default('filed'),
        /** Do not re-post a recurrence this process posted within this many minutes. */
        quietMinutes: z.number().int().min(0).default(60),
      })
      .strict()
      .optional(),
    webhook: z
      .object({
        enabled,
        /** The receiver; or the variable that holds it when the URL itself is a secret. */
        url: sinkUrl.optional(),
        urlEnv: envName.default('REFLEX_WEBHOOK_URL'),
        /** The HMAC-SHA256 key. */
        secretEnv: envName.default('REFLEX_WEBHOOK_SECRET'),
        resolve: z.enum(['filed', 'always', 'never']).default('filed'),
      })
      .strict()
      .optional(),
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
        /**
         * Whether the tag exempts at all. Anyone who can write tags can write it (on Azure, Tag Contributor):
         * `false` turns tag exemptions off (the tag is then reported, never honoured); `{ rules: [...] }` honours
         * it only for those rules. Protect the tag with an SCP / Azure Policy (README, "Exemptions").
         */
        tags: z.union([z.boolean(), z.object({ rules: z.array(z.enum(RULE_NAMES)).min(1) }).strict()]).default(true),
      })
      .strict()
      .default({ tag: 'reflex:exempt', maxDays: 90, tags: true }),
    blastRadius: z
      .object({ limit: z.number().int().min(0).default(25), windowMinutes: z.number().int().positive().default(60) })
      .strict()
      .default({ limit: 25, windowMinutes: 60 }),
    tickets: TicketsSchema.optional(),
  })
  .strict();

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type RulesConfig = NonNullable<Policy['rules']>;
export type TicketsConfig = z.output<typeof TicketsSchema>;
