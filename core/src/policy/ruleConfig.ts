import * as z from 'zod';

/** What the bot does with a finding: fix it, only report it, or not look. */
export const ModeSchema = z.enum(['enforce', 'dry-run', 'off']);

/** An Azure resource id, as the policy names log and flow-log destinations. */
export const armId = z.string().regex(/^\/subscriptions\//i, 'expected an ARM id (/subscriptions/...)');

/**
 * A rule's `rules.<name>` section of the policy: its own settings after `mode`, strict so a typo is an error.
 * Each rule file declares its own; the policy schema assembles them from the rule registry.
 */
export function ruleConfig<S extends z.ZodRawShape = Record<never, never>>(shape: S = {} as S) {
  return z.object({ mode: ModeSchema.optional(), ...shape }).strict();
}
