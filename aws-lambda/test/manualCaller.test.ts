import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isResponder, manualInvocation, respondersOf } from '../src/handlers/manualCaller.js';
import { roleArnOf } from '../src/ownIdentity.js';

const ROLE = 'arn:aws:iam::123456789012:role/security/reflex-responder';

describe('the caller of a manual invocation', () => {
  it('a Function URL request: the body is the payload, the IAM authorizer’s userArn the caller', () => {
    const body = { action: 'remediate', resource: 'arn:aws:s3:::b' };
    const event = {
      version: '2.0',
      requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: 'arn:aws:iam::1:user/a' } } },
      body: JSON.stringify(body),
    };
    expect(manualInvocation(event)).toEqual({ via: 'function-url', payload: body, callerArn: 'arn:aws:iam::1:user/a' });
    expect(manualInvocation({ ...event, body: '{' })).toMatchObject({ via: 'function-url', error: expect.any(String) });
  });

  it('anything that is not a URL request is a direct Invoke’s payload, whatever it says about its caller', () => {
    const forged = { action: 'contain', requestContext: { authorizer: { iam: { userArn: ROLE } } } };
    expect(manualInvocation(forged)).toEqual({ via: 'direct-invoke', payload: forged });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const answer = manualInvocation(value);
        expect(answer.via).toBe('direct-invoke');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on any URL-shaped input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.boolean(), (body, authorizer, b64) => {
        manualInvocation({ version: '2.0', requestContext: { http: {}, authorizer }, body, isBase64Encoded: b64 });
      }),
      { numRuns: 500 },
    );
  });
});

describe('responders', () => {
  it('a session of a responder role matches its role (any path); another role or account does not', () => {
    expect(isResponder('arn:aws:sts::123456789012:assumed-role/reflex-responder/alice', [ROLE])).toBe(true);
    expect(isResponder('arn:aws:sts::123456789012:assumed-role/reflex-responder-2/alice', [ROLE])).toBe(false);
    expect(isResponder('arn:aws:sts::210987654321:assumed-role/reflex-responder/alice', [ROLE])).toBe(false);
    expect(isResponder('arn:aws:iam::123456789012:user/alice', ['arn:aws:iam::123456789012:user/alice'])).toBe(true);
    expect(isResponder('arn:aws:iam::123456789012:user/alice', [])).toBe(false);
  });

  it('REFLEX_RESPONDERS: absent → not enforced; empty → nobody; non-ARNs dropped', () => {
    expect(respondersOf({})).toBeUndefined();
    expect(respondersOf({ REFLEX_RESPONDERS: '' })).toEqual([]);
    expect(respondersOf({ REFLEX_RESPONDERS: `${ROLE}, *,  arn:aws:iam::1:user/x` })).toEqual([
      ROLE,
      'arn:aws:iam::1:user/x',
    ]);
  });
});

describe('the bot’s own role from GetCallerIdentity', () => {
  it('an assumed-role session ARN becomes its role ARN; anything else stays', () => {
    expect(roleArnOf('arn:aws:sts::123456789012:assumed-role/reflex-events-eu-west-1/reflex-events')).toBe(
      'arn:aws:iam::123456789012:role/reflex-events-eu-west-1',
    );
    expect(roleArnOf('arn:aws-us-gov:sts::123456789012:assumed-role/r/s')).toBe(
      'arn:aws-us-gov:iam::123456789012:role/r',
    );
    expect(roleArnOf('arn:aws:iam::123456789012:user/moto')).toBe('arn:aws:iam::123456789012:user/moto');
  });
});
