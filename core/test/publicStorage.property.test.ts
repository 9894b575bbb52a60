/**
 * publicStorage on generated buckets: the fix removes exactly the public grants and statements (every other one is
 * kept, in order), and once applied the bucket is judged compliant.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AclGrant,
  ALL_USERS,
  AUTHENTICATED_USERS,
  isPublicGrant,
  isPublicStatement,
  type PolicyStatement,
  parsePolicy,
  publicStorage,
  type StoragePosture,
} from '../src/index.js';
import { publicBucket } from './fakeCloud.js';

const ACCOUNT_ARN = 'arn:aws:iam::111122223333:root';
const POLICY = parsePolicy('version: 1');

const principal = fc.constantFrom<unknown>(
  '*',
  { AWS: '*' },
  { AWS: [ACCOUNT_ARN, '*'] },
  { AWS: ACCOUNT_ARN },
  { Service: 'logging.s3.amazonaws.com' },
  { CanonicalUser: '*' },
  undefined,
);

const conditionValue = fc.oneof(
  fc.constantFrom('vpc-111bbb22', 'o-xxxxxxxxxx', '111122223333', '*', 'vpce-*', '10.0.0.0/8', '0.0.0.0/0', '::/0'),
  fc.array(fc.constantFrom('vpc-111bbb22', '*', '192.0.2.0/24'), { maxLength: 3 }),
);
const condition = fc.dictionary(
  fc.constantFrom(
    'StringEquals',
    'StringLike',
    'StringNotEquals',
    'StringEqualsIfExists',
    'ForAnyValue:StringEquals',
    'ArnLike',
    'IpAddress',
    'NotIpAddress',
    'Bool',
  ),
  fc.dictionary(
    fc.constantFrom('aws:SourceVpc', 'aws:PrincipalOrgID', 'aws:SourceAccount', 'aws:SourceIp', 'aws:username'),
    conditionValue,
    { maxKeys: 2 },
  ),
  { maxKeys: 2 },
);

const statement: fc.Arbitrary<PolicyStatement> = fc
  .record(
    {
      Sid: fc.string({ maxLength: 6 }),
      Effect: fc.constantFrom('Allow', 'Deny'),
      Principal: principal,
      NotPrincipal: fc.constantFrom<unknown>(undefined, undefined, undefined, { AWS: ACCOUNT_ARN }),
      Action: fc.constantFrom('s3:GetObject', 's3:*', ['s3:GetObject', 's3:PutObject']),
      Resource: fc.constant('arn:aws:s3:::reflex-bucket/*'),
      Condition: fc.option(condition, { nil: undefined }),
    },
    { requiredKeys: ['Effect', 'Action', 'Resource'] },
  )
  .map((s) => JSON.parse(JSON.stringify(s)) as PolicyStatement);

const grant: fc.Arbitrary<AclGrant> = fc.record({
  granteeType: fc.constantFrom('Group', 'CanonicalUser'),
  grantee: fc.constantFrom(
    ALL_USERS,
    AUTHENTICATED_USERS,
    'http://acs.amazonaws.com/groups/s3/LogDelivery',
    'owner-id',
    'partner-id',
  ),
  permission: fc.constantFrom('READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'),
});

const bucket: fc.Arbitrary<StoragePosture> = fc
  .record({
    grants: fc.array(grant, { maxLength: 6 }),
    statements: fc.option(fc.array(statement, { maxLength: 6 }), { nil: null }),
    blocked: fc.boolean(),
  })
  .map(({ grants, statements, blocked }) => {
    const p = publicBucket('reflex-bucket');
    p.publicAccess.acl = { owner: { id: 'owner-id' }, grants };
    p.publicAccess.policy = statements ? { Version: '2012-10-17', Statement: statements } : null;
    if (blocked)
      p.publicAccess.bucketBlock = {
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: true,
        restrictPublicBuckets: true,
      };
    return p;
  });

/** What the adapters do with each fix, on the posture. */
function applied(p: StoragePosture): StoragePosture {
  const after = structuredClone(p);
  const finding = publicStorage.evaluate(p, POLICY);
  for (const fix of finding?.fixes ?? []) {
    if (fix.type === 'block-public-access') after.publicAccess.bucketBlock = { ...fix.block };
    if (fix.type === 'remove-public-grants' && after.publicAccess.acl)
      after.publicAccess.acl.grants = after.publicAccess.acl.grants.filter(
        (g) => !fix.grants.some((x) => JSON.stringify(x) === JSON.stringify(g)),
      );
    if (fix.type === 'remove-public-statements')
      after.publicAccess.policy = fix.remaining.length ? { Statement: fix.remaining } : null;
  }
  return after;
}

describe('publicStorage on generated buckets', () => {
  it('removes exactly the public grants and statements, keeping every other one in order', () => {
    fc.assert(
      fc.property(bucket, (p) => {
        const finding = publicStorage.evaluate(p, POLICY);
        const grants = p.publicAccess.acl?.grants ?? [];
        const statements = p.publicAccess.policy?.Statement ?? [];
        const removeGrants = finding?.fixes.find((f) => f.type === 'remove-public-grants');
        const removeStatements = finding?.fixes.find((f) => f.type === 'remove-public-statements');
        expect(removeGrants?.type === 'remove-public-grants' ? removeGrants.grants : []).toEqual(
          grants.filter(isPublicGrant),
        );
        if (removeStatements?.type === 'remove-public-statements') {
          expect(removeStatements.statements).toEqual(statements.filter(isPublicStatement));
          expect(removeStatements.remaining).toEqual(statements.filter((s) => !isPublicStatement(s)));
        } else expect(statements.filter(isPublicStatement)).toEqual([]);
        const after = applied(p);
        // The owner's, the log delivery group's and any other named grantee's grants survive.
        expect(after.publicAccess.acl?.grants).toEqual(grants.filter((g) => !isPublicGrant(g)));
      }),
      { numRuns: 2000 },
    );
  });

  it('a fixed bucket is judged compliant on the next read', () => {
    fc.assert(
      fc.property(bucket, (p) => {
        expect(publicStorage.evaluate(applied(p), POLICY)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('judging a statement never throws, whatever its fields hold', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('Effect', 'Principal', 'NotPrincipal', 'Condition', 'Action'), fc.jsonValue()),
        (raw) => {
          expect(typeof isPublicStatement({ Effect: 'Allow', ...raw } as unknown as PolicyStatement)).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
