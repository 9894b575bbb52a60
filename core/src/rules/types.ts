import type * as z from 'zod';
import type { Finding, PostureKind, Severity } from '../model/index.js';
import type { Posture } from '../model/posture.js';
import type { Policy } from '../policy/schema.js';
import type { RuleName } from './registry.js';

/** One line per fix type, for tickets, logs and audit. */
export type FixSummaries<F extends { type: string }> = {
  [T in F['type']]: (fix: Extract<F, { type: T }>) => string;
};

/**
 * A rule is a pure function of the current posture and the policy; it never calls a cloud. Its file is the one
 * place that knows its name, its policy section, the fixes it proposes and how each reads for people: the rule
 * registry derives RULE_NAMES, the policy schema, `Fix`, fix summaries and `reflex explain` from it.
 */
export interface RuleDef<N extends string, P extends Posture, C extends z.ZodType, F extends { type: string }> {
  name: N;
  appliesTo: PostureKind;
  severity: Severity;
  /** What risk it closes and what the fix does, for `reflex explain`. */
  description: string;
  /** Its `rules.<name>` section of the policy (see ruleConfig). */
  config: C;
  /** How each fix it proposes reads in one line. Keys are its fix types: the union `Fix` is derived from them. */
  fixes: FixSummaries<F>;
  /**
   * Its fix types that close a gate the other steps' befores cannot pass while it is closed (a Block Public Access
   * flag on, public containers disallowed): undo puts these befores back first.
   */
  gates?: readonly F['type'][];
  evaluate(posture: P, policy: Policy): Finding | null;
}

/** Any registered rule, as the engine sees it. */
export interface Rule<P extends Posture = Posture> {
  name: RuleName;
  appliesTo: PostureKind;
  severity: Severity;
  description: string;
  config: z.ZodType;
  evaluate(posture: P, policy: Policy): Finding | null;
}
