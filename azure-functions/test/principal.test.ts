import { HttpRequest } from '@azure/functions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manualCaller, RESPONDER_ROLE } from '../src/functions/principal.js';

const request = (headers: Record<string, string>) =>
  new HttpRequest({ method: 'POST', url: 'https://reflex.example/api/manual', headers });
const principal = (claims: unknown) => Buffer.from(JSON.stringify({ auth_typ: 'aad', claims })).toString('base64');
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

describe('the caller of the Azure manual function', () => {
  it('Easy Auth off: any principal headers are ignored; the actor is "function key"', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const caller = manualCaller(
          request({ 'x-ms-client-principal': a || 'x', 'x-ms-client-principal-name': b || 'y' }),
          {},
        );
        expect(caller).toMatchObject({ verified: false, actor: 'function key', ignoredHeaders: true });
      }),
      { numRuns: 200 },
    );
    expect(manualCaller(request({}), { REFLEX_EASY_AUTH: 'off' })).toMatchObject({ ignoredHeaders: false });
  });

  it('Easy Auth on: the oid, name and roles of the platform’s principal', () => {
    const header = principal([
      { typ: OID, val: 'c0ffee00-0000-4000-8000-00000000c0de' },
      { typ: 'name', val: 'Responder' },
      { typ: 'roles', val: RESPONDER_ROLE },
      { typ: 'roles', val: 'Other' },
    ]);
    expect(manualCaller(request({ 'x-ms-client-principal': header }), { REFLEX_EASY_AUTH: 'on' })).toEqual({
      verified: true,
      actor: 'Responder (c0ffee00-0000-4000-8000-00000000c0de)',
      objectId: 'c0ffee00-0000-4000-8000-00000000c0de',
      roles: [RESPONDER_ROLE, 'Other'],
    });
  });

  it('Easy Auth on: no principal, no oid, or anything malformed is an error, never a principal', () => {
    const on = { REFLEX_EASY_AUTH: 'on' };
    expect(manualCaller(request({}), on)).toHaveProperty('error');
    expect(
      manualCaller(request({ 'x-ms-client-principal': principal([{ typ: 'name', val: 'x' }]) }), on),
    ).toHaveProperty('error');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
        ),
        (h) => {
          const caller = manualCaller(request({ 'x-ms-client-principal': h || '=' }), on);
          if (!('error' in caller)) expect(caller.verified && caller.objectId.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
