import { asObject, asString } from './envelope.js';

const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/** ARM writes `evidence.principalId` as 32 hex digits without dashes; policy lists GUIDs with them. */
function asGuid(id: string): string | undefined {
  const hex = id.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toLowerCase();
}

/**
 * Who made the change, from a resource event's `claims` (object id, app id) and
 * `authorization.evidence.principalId`. Core compares these to the bot's own identities (the loop guard).
 * `claims` arrives as an object, or as a JSON string in some Activity Log shapes.
 */
export function callerOf(data: Record<string, unknown>): { actor?: string; actorIds: string[] } {
  let claims = data['claims'];
  if (typeof claims === 'string') {
    try {
      claims = JSON.parse(claims);
    } catch {
      claims = undefined;
    }
  }
  const c = asObject(claims) ?? {};
  const oid = asString(c[OID_CLAIM]) ?? asString(c['oid']);
  const appid = asString(c['appid']) ?? asString(c['azp']);
  const principalId = asString(asObject(asObject(data['authorization'])?.['evidence'])?.['principalId']);
  const ids = new Set<string>();
  for (const id of [oid, principalId, appid]) {
    if (!id) continue;
    ids.add(id);
    const guid = asGuid(id);
    if (guid) ids.add(guid);
  }
  const actor = oid ?? (principalId ? (asGuid(principalId) ?? principalId) : undefined) ?? appid;
  return { ...(actor ? { actor } : {}), actorIds: [...ids] };
}
