import * as z from 'zod';
import { EventParseError } from './errors.js';
import { RULE_NAMES } from './rules/registry.js';

/**
 * Bounds of the free-text fields: each is stored in every audit record and log line of the action (a DynamoDB item
 * holds 400 KB, an Azure Table property 64 KiB). An over-long request is refused before anything is read or written.
 */
export const MANUAL_LIMITS = {
  reason: 1000,
  requestedBy: 256,
  /** The longest ARN (2048) and ARM id AWS and Azure accept. */
  resource: 2048,
  remediationId: 128,
} as const;

/** The manual-invocation contract, the same on both clouds (AWS `manual` handler, Azure HTTP function). */
export const ManualRequestSchema = z
  .object({
    action: z.enum(['remediate', 'contain', 'undo', 'sweep']),
    /** ARN or ARM id; for `undo`, the remediation id may be given instead. */
    resource: z
      .string()
      .min(1)
      .max(MANUAL_LIMITS.resource, `an ARN or ARM id is at most ${MANUAL_LIMITS.resource} characters`)
      .optional(),
    /**
     * AWS: the account of a resource whose ARN names none (a bucket), or of a sweep, when the bot acts in member
     * accounts. An ARN that names another account is refused. ARM ids carry their subscription: Azure refuses it.
     */
    account: z
      .string()
      .regex(/^\d{12}$/, 'an AWS account id is 12 digits')
      .optional(),
    remediationId: z.string().min(1).max(MANUAL_LIMITS.remediationId).optional(),
    rules: z.array(z.enum(RULE_NAMES)).optional(),
    dryRun: z.boolean().optional(),
    reason: z.string().trim().min(1).max(MANUAL_LIMITS.reason).optional(),
    /** Who asks (the CLI fills it from the caller identity); audited with the reason. */
    requestedBy: z.string().max(MANUAL_LIMITS.requestedBy).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.action === 'contain' || r.action === 'undo') && !r.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `reason is required for ${r.action}` });
    if (r.action === 'undo' && !r.remediationId)
      ctx.addIssue({ code: 'custom', path: ['remediationId'], message: 'remediationId is required for undo' });
    if ((r.action === 'remediate' || r.action === 'contain') && !r.resource)
      ctx.addIssue({ code: 'custom', path: ['resource'], message: `resource is required for ${r.action}` });
  });
export type ManualRequest = z.output<typeof ManualRequestSchema>;

/** Validates a manual request; a bad one is an EventParseError naming every problem. */
export function parseManualRequest(input: unknown): ManualRequest {
  const parsed = ManualRequestSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new EventParseError(`invalid manual request: ${problems.join('; ')}`);
}
