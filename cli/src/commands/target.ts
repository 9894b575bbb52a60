import { randomUUID } from 'node:crypto';
import { governedResource } from '@reflex/azure';
import { MalformedResourceIdError, type ResourceRef, refFromArn, type Trigger } from '@reflex/core';
import { operator, type Session } from '../session.js';

/** Bad input that is not a policy or id problem (missing flag, mismatched subscription): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * An ARN or ARM id to the resource Reflex governs. ARM ids of sub-resources (a blob container, an NSG rule)
 * name their storage account or NSG; `--subscription`, when given, must be the id's own.
 */
export function resourceRef(id: string, session: Session): ResourceRef {
  if (id.startsWith('arn:')) {
    return refFromArn(id, { account: session.env['REFLEX_ACCOUNT_ID'] ?? '', region: session.region });
  }
  if (id.startsWith('/')) {
    const governed = governedResource(id);
    if (!governed.ok) throw new UsageError(`${id}: ${governed.reason}`);
    const sub = session.opts.subscription?.toLowerCase();
    if (sub && sub !== governed.ref.account) {
      throw new UsageError(
        `--subscription ${session.opts.subscription} does not match the id's ${governed.ref.account}`,
      );
    }
    return governed.ref;
  }
  throw new MalformedResourceIdError(id, 'expected an ARN (arn:...) or an ARM id (/subscriptions/...)');
}

/** A person at the command line: always `manual`, with who and (for contain and undo) why. */
export function manualTrigger(
  action: string,
  session: Session,
  extra: { reason?: string; dryRun?: boolean } = {},
): Trigger {
  return {
    source: 'manual',
    eventId: `cli-${action}-${randomUUID()}`,
    eventName: action,
    actor: operator(session.env),
    eventTime: new Date().toISOString(),
    ...(extra.reason ? { reason: extra.reason } : {}),
    ...(extra.dryRun ? { dryRun: true } : {}),
  };
}

/** `--reason` must say something: contain and undo are audited with why. */
export function requireReason(reason: string | undefined, action: string): string {
  const r = reason?.trim();
  if (!r) throw new UsageError(`${action} needs --reason "why" (it is recorded in the audit trail)`);
  return r;
}
