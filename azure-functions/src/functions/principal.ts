import type { HttpRequest } from '@azure/functions';

/** The app role (Entra ID app registration) a caller needs for contain and undo when Easy Auth is on. */
export const RESPONDER_ROLE = 'Reflex.Responder';

const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const ROLE_CLAIMS = new Set(['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);
/** Bounds what is read from a header: a principal is a few KB; anything longer is not the platform's. */
const MAX_PRINCIPAL_HEADER = 16_384;

/** Who called the manual function, as far as the platform vouches for it. */
export type ManualCaller =
  | {
      verified: true;
      /** `name (oid)`: what the audit records as the actor. */
      actor: string;
      objectId: string;
      roles: string[];
    }
  | { verified: false; actor: 'function key'; reason: string; ignoredHeaders: boolean };

/** Easy Auth is trusted only when the deployment says it is on (the Bicep sets REFLEX_EASY_AUTH=on with authsettingsV2). */
export function easyAuthOn(env: NodeJS.ProcessEnv): boolean {
  return /^(on|true|1)$/i.test(env['REFLEX_EASY_AUTH']?.trim() ?? '');
}

/**
 * The caller of a manual request. With App Service Authentication on, the platform strips any
 * `x-ms-client-principal*` header a client sends and sets its own from the validated Entra ID token, so the
 * principal there is the caller. With it off, those headers are whatever the caller wrote: they are ignored, and
 * all that is known is that the function key was right.
 */
export function manualCaller(request: HttpRequest, env: NodeJS.ProcessEnv): ManualCaller | { error: string } {
  const header = request.headers.get('x-ms-client-principal');
  if (!easyAuthOn(env)) {
    const sent = header !== null || request.headers.get('x-ms-client-principal-name') !== null;
    return {
      verified: false,
      actor: 'function key',
      reason: 'App Service Authentication is off (REFLEX_EASY_AUTH): only the function key was checked',
      ignoredHeaders: sent,
    };
  }
  if (!header) return { error: 'App Service Authentication is on but the request carries no authenticated principal' };
  if (header.length > MAX_PRINCIPAL_HEADER) return { error: 'x-ms-client-principal is too long to be the platform’s' };
  let claims: { typ?: unknown; val?: unknown }[];
  try {
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { claims?: unknown };
    if (!Array.isArray(decoded.claims)) throw new Error('no claims');
    claims = decoded.claims as typeof claims;
  } catch {
    return { error: 'x-ms-client-principal is not the platform’s base64 JSON principal' };
  }
  const values = (typ: string | Set<string>) =>
    claims
      .filter((c) => typeof c?.val === 'string' && (typeof typ === 'string' ? c.typ === typ : typ.has(String(c.typ))))
      .map((c) => c.val as string);
  const objectId = values(OID_CLAIM)[0] ?? values('oid')[0];
  if (!objectId) return { error: 'the authenticated principal has no object id (oid claim)' };
  const name =
    values('name')[0] ?? values('preferred_username')[0] ?? request.headers.get('x-ms-client-principal-name');
  const display = name ? `${name.slice(0, 256)} (${objectId.slice(0, 64)})` : objectId.slice(0, 64);
  return { verified: true, actor: display, objectId, roles: values(ROLE_CLAIMS) };
}
