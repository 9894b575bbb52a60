import { principalKey } from '@reflex/core';
import { obj, str } from '../events/json.js';

/**
 * Who invoked the manual function, as far as Lambda vouches for it. A Function URL with AWS_IAM auth puts the
 * SigV4-verified caller in `requestContext.authorizer.iam.userArn`; a direct Invoke carries no caller at all (only
 * CloudTrail's Lambda data events know it). A name in the payload (`requestedBy`) is never the actor.
 */
export type ManualInvocation =
  | { via: 'function-url'; payload: unknown; callerArn?: string }
  | { via: 'direct-invoke'; payload: unknown }
  | { via: 'function-url'; error: string };

/** Function URL events (payload format 2.0) carry the request; anything else is a direct Invoke's payload. */
export function manualInvocation(input: unknown): ManualInvocation {
  const event = obj(input);
  const context = obj(event?.requestContext);
  if (event?.version !== '2.0' || !obj(context?.http)) return { via: 'direct-invoke', payload: input };
  const callerArn = str(obj(obj(context?.authorizer)?.iam)?.userArn);
  const raw = event.body;
  if (raw !== undefined && typeof raw !== 'string')
    return { via: 'function-url', error: 'the request body is not text' };
  let payload: unknown;
  try {
    const text = event.isBase64Encoded === true ? Buffer.from(raw ?? '', 'base64').toString('utf8') : (raw ?? '');
    payload = JSON.parse(text);
  } catch {
    return { via: 'function-url', error: 'the request body is not JSON' };
  }
  return { via: 'function-url', payload, ...(callerArn ? { callerArn } : {}) };
}

/**
 * The responders the deployment names (`REFLEX_RESPONDERS`, IAM role or user ARNs, set by the CDK construct), or
 * undefined when the variable is absent (a bot run outside such a deployment: tests, local runs). Present and empty
 * means nobody may contain or undo.
 */
export function respondersOf(env: Record<string, string | undefined>): string[] | undefined {
  const raw = env.REFLEX_RESPONDERS;
  if (raw === undefined) return undefined;
  return raw.split(/[\s,]+/).filter((a) => a.startsWith('arn:'));
}

/** Is this verified caller (a session of a role, or a user) one of the responders? */
export function isResponder(callerArn: string, responders: readonly string[]): boolean {
  const key = principalKey(callerArn);
  return responders.some((r) => principalKey(r) === key);
}
