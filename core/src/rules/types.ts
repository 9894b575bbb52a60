import type { Finding, PostureKind, RuleName, Severity } from '../model/index.js';
import type { Posture } from '../model/posture.js';
import type { Policy } from '../policy/schema.js';

/** A rule is a pure function of the current posture and the policy; it never calls a cloud. */
export interface Rule<P extends Posture = Posture> {
  name: RuleName;
  appliesTo: PostureKind;
  severity: Severity;
  /** What risk it closes and what the fix does, for `reflex explain`. */
  description: string;
  evaluate(posture: P, policy: Policy): Finding | null;
}
