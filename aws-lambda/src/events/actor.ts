import { obj, str } from './json.js';

/**
 * Who made the change, for the loop guard: the caller's ARN and, for assumed roles, the role itself
 * (the session issuer), since the policy names the bot's role, not its sessions.
 */
export function actorOf(userIdentity: unknown): { actor?: string; actorIds?: string[] } {
  const ui = obj(userIdentity);
  if (!ui) return {};
  const issuer = str(obj(obj(ui.sessionContext)?.sessionIssuer)?.arn);
  const ids = [str(ui.arn), issuer, str(ui.invokedBy)].filter((v): v is string => v !== undefined);
  if (ids.length === 0) return {};
  return { actor: ids[0], actorIds: [...new Set(ids)] };
}
