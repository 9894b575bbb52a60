/** Resource ids as a responder or an event may type them: valid ones with a character changed, and any text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatArmId, MalformedResourceIdError, parseArmId, parseResourceId } from '../src/index.js';

const VALID = [
  'arn:aws:s3:::amzn-s3-demo-bucket',
  'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0',
  'arn:aws-us-gov:ec2:us-gov-west-1:111122223333:instance/i-0abcd1234efgh5678',
  'arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events',
  'arn:aws:iam::111122223333:root',
  '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1',
  '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/ssh',
  '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/logs',
];

/** A valid id with one character inserted, deleted or replaced (often a separator). */
const typo = fc
  .record({
    id: fc.constantFrom(...VALID),
    at: fc.nat(),
    op: fc.constantFrom('insert', 'delete', 'replace'),
    ch: fc.oneof(fc.constantFrom('/', ':', '', ' ', '*', '.'), fc.string({ minLength: 1, maxLength: 1 })),
  })
  .map(({ id, at, op, ch }) => {
    const i = at % (id.length + 1);
    if (op === 'insert') return id.slice(0, i) + ch + id.slice(i);
    if (op === 'delete') return id.slice(0, i) + id.slice(i + 1);
    return id.slice(0, i) + ch + id.slice(i + 1);
  });

/** A ref, or a MalformedResourceIdError that quotes the input; never another exception. */
function check(input: string): void {
  try {
    const ref = parseResourceId(input);
    expect(ref.id).toBe(input);
    expect(ref.name).toMatch(/\S/);
    // The name acted on is in the id as typed, never filled in.
    expect(input.toLowerCase()).toContain(ref.name.toLowerCase());
    if (ref.cloud === 'azure') expect(formatArmId(parseArmId(input)).toLowerCase()).toBe(input.toLowerCase());
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedResourceIdError);
    expect((err as MalformedResourceIdError).input).toBe(input);
  }
}

describe('resource ids', () => {
  it('every valid sample parses', () => {
    for (const id of VALID) expect(parseResourceId(id).id).toBe(id);
  });

  it('a mistyped id is either still a valid id of the resource it names, or a MalformedResourceIdError', () => {
    fc.assert(fc.property(typo, check), { numRuns: 3000 });
  });

  it('any text is a ref or a MalformedResourceIdError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), check), { numRuns: 1000 });
  });
});
