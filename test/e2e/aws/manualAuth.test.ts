/**
 * Issue 18 items 2, 3, 12 on AWS, on moto through the real handlers: who a manual action is recorded as (the Function
 * URL's verified caller, never the payload's name), responders only where the deployment names them, HTTP statuses
 * for refused and failed requests, the kill switch stops contain and undo, and the loop guard knows the bot's own
 * role from sts:GetCallerIdentity without any `identities` in the policy.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { type FunctionUrlEvent, type ManualReport, stsAssumeRole, stsCallerIdentity } from '@reflex/aws';
import { MOTO_CREDENTIALS } from '@reflex/sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FUNCTION_CONTEXT,
  fixture,
  handlers,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
  writeCalls,
} from './world.js';

let world: World;
let groupId: string;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
  const ec2 = world.direct.ec2;
  groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web-sg', Description: 'web' }))).GroupId!;
  await openSsh();
});

const openSsh = () =>
  world.direct.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
const ingress = async () =>
  (
    (
      await world.direct.ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      )
    ).SecurityGroupRules ?? []
  )
    .filter((r) => !r.IsEgress)
    .map((r) => `${r.FromPort}:${r.CidrIpv4}`);

const RESPONDER_ROLE = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/security/reflex-responder`;
const RESPONDER_SESSION = `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/reflex-responder/alice`;
const OTHER_SESSION = `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/Developer/mallory`;
const groupArn = () => `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT_ID}:security-group/${groupId}`;
const contain = (extra: Record<string, unknown> = {}) => ({
  action: 'contain',
  resource: groupArn(),
  reason: 'INC-21',
  ...extra,
});

/** A Function URL request (payload format 2.0) as Lambda delivers it with AWS_IAM auth. */
function viaUrl(body: unknown, userArn?: string): FunctionUrlEvent {
  return {
    version: '2.0',
    requestContext: {
      http: { method: 'POST' },
      ...(userArn ? { authorizer: { iam: { userArn } } } : {}),
    },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
  };
}
const reportOf = (answer: { body: string }) => JSON.parse(answer.body) as ManualReport;

describe('who a manual action is recorded as', () => {
  it('a direct Invoke: requestedBy is recorded as claimedBy, never as the actor', async () => {
    const { manual, audit } = handlers(world, policy());
    const report = await manual(contain({ requestedBy: 'ciso@example.com' }), FUNCTION_CONTEXT);
    expect(report.outcomes[0]?.status).toBe('fixed');
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.correlation.claimedBy).toBe('ciso@example.com');
    expect(audit.records[0]!.correlation.actor).toBeUndefined();
  });

  it('through the Function URL: the SigV4-verified caller is the actor; the payload’s name only a claim', async () => {
    const { manual, audit } = handlers(world, policy(), { env: { REFLEX_RESPONDERS: RESPONDER_ROLE } });
    const answer = await manual(viaUrl(contain({ requestedBy: 'ciso@example.com' }), RESPONDER_SESSION));
    expect(answer.statusCode).toBe(200);
    expect(reportOf(answer).outcomes[0]?.status).toBe('fixed');
    expect(audit.records[0]!.correlation).toMatchObject({ actor: RESPONDER_SESSION, claimedBy: 'ciso@example.com' });
    expect(await ingress()).toEqual([]);
  });
});

describe('responders only, where the deployment names them (REFLEX_RESPONDERS)', () => {
  it('a caller who is not a responder → 403; a direct Invoke → refused as unverified; nothing read or written', async () => {
    const { manual, audit } = handlers(world, policy(), { env: { REFLEX_RESPONDERS: RESPONDER_ROLE } });
    world.proxy.resetStats();
    const other = await manual(viaUrl(contain({ requestedBy: 'alice' }), OTHER_SESSION));
    expect(other.statusCode).toBe(403);
    expect(reportOf(other).errors?.[0]?.code).toBe('NotAResponder');
    const direct = await manual(contain({ requestedBy: RESPONDER_SESSION }), FUNCTION_CONTEXT);
    expect(direct.errors?.[0]?.code).toBe('Unverified');
    const anonymous = await manual(viaUrl(contain()));
    expect(anonymous.statusCode).toBe(401);
    const undo = await manual(viaUrl({ action: 'undo', remediationId: 'con-x', reason: 'r' }, OTHER_SESSION));
    expect(undo.statusCode).toBe(403);
    expect(world.proxy.calls()).toEqual([]);
    expect(audit.records).toEqual([]);
    expect(await ingress()).toEqual(['22:0.0.0.0/0']);
  });

  it('an empty list refuses everyone; remediate (what the policy does anyway) still runs', async () => {
    const { manual } = handlers(world, policy(), { env: { REFLEX_RESPONDERS: '' } });
    expect((await manual(viaUrl(contain(), RESPONDER_SESSION))).statusCode).toBe(403);
    const remediate = await manual(viaUrl({ action: 'remediate', resource: groupArn() }, OTHER_SESSION));
    expect(remediate.statusCode).toBe(200);
    expect(await ingress()).toEqual([]);
  });
});

describe('refused and failed requests through the Function URL answer non-2xx', () => {
  it('bad JSON → 400, a missing reason → 400, a group that does not exist → 404', async () => {
    const { manual } = handlers(world, policy(), { env: { REFLEX_RESPONDERS: RESPONDER_ROLE } });
    expect((await manual(viaUrl('{not json', RESPONDER_SESSION))).statusCode).toBe(400);
    expect((await manual(viaUrl(contain({ reason: undefined }), RESPONDER_SESSION))).statusCode).toBe(400);
    const missing = await manual(
      viaUrl(
        contain({ resource: `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT_ID}:security-group/sg-0000000000000dead` }),
        RESPONDER_SESSION,
      ),
    );
    expect(missing.statusCode).toBe(404);
    const unknown = await manual(
      viaUrl({ action: 'undo', remediationId: 'con-unknown', reason: 'r' }, RESPONDER_SESSION),
    );
    expect(unknown.statusCode).toBe(404);
  });
});

describe('the kill switch stops manual contain and undo', () => {
  it('contain and undo are refused (403 through the URL) and change nothing; a dry-run still answers', async () => {
    const contained = await handlers(world, policy()).manual(contain(), FUNCTION_CONTEXT);
    expect(contained.outcomes[0]?.status).toBe('fixed');
    await openSsh();
    const { manual, audit } = handlers(world, policy({ killSwitch: true }));
    world.proxy.resetStats();
    const again = await manual(contain(), FUNCTION_CONTEXT);
    expect(again.errors?.[0]).toMatchObject({ code: 'KillSwitchOn' });
    const undo = { action: 'undo', remediationId: contained.outcomes[0]!.remediationId, reason: 'over' };
    expect((await manual(undo, FUNCTION_CONTEXT)).errors?.[0]?.code).toBe('KillSwitchOn');
    expect((await manual(viaUrl(contain(), RESPONDER_SESSION))).statusCode).toBe(403);
    expect(world.proxy.calls()).toEqual([]);
    expect(audit.records).toEqual([]);
    expect(await ingress()).toEqual(['22:0.0.0.0/0']);
    const dry = await manual(contain({ dryRun: true }), FUNCTION_CONTEXT);
    expect(dry.outcomes[0]?.status).toBe('ticketed');
    expect(writeCalls(world)).toEqual([]);
  });
});

describe('loop guard: the bot learns its own role from STS (no identities in the policy)', () => {
  const BOT_ROLE_NAME = 'reflex-events-us-east-1';

  /** The AuthorizeSecurityGroupIngress event of a write by `arn` (a session) with `issuer` (its role). */
  function writeBy(arn: string, issuer?: string) {
    const event = fixture('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json', {
      'sg-0123456789abcdef0': groupId,
    });
    const detail = event.detail as Record<string, unknown>;
    detail.userIdentity = {
      type: issuer ? 'AssumedRole' : 'IAMUser',
      arn,
      accountId: MOTO_ACCOUNT_ID,
      ...(issuer
        ? { sessionContext: { sessionIssuer: { type: 'Role', arn: issuer, accountId: MOTO_ACCOUNT_ID } } }
        : {}),
    };
    return event;
  }

  it('a bucket lock-down keeps the bot’s own role (from STS) able to undo it, with no identities in the policy', async () => {
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'evidence-bucket' }));
    const credentials = await stsAssumeRole({ endpoint: world.moto.endpoint, credentials: { ...MOTO_CREDENTIALS } })({
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/reflex-manual-us-east-1`,
      sessionName: 'reflex-manual',
    });
    const callerIdentity = stsCallerIdentity({ endpoint: world.moto.endpoint, credentials });
    const { manual } = handlers(world, policy({ identities: { aws: [] } }), { callerIdentity });
    const report = await manual(
      { action: 'contain', resource: 'arn:aws:s3:::evidence-bucket', reason: 'INC-9' },
      FUNCTION_CONTEXT,
    );
    expect(report.outcomes[0]?.status).toBe('fixed');
    const doc = (await world.direct.s3.send(new GetBucketPolicyCommand({ Bucket: 'evidence-bucket' }))).Policy!;
    expect(doc).toContain(`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/reflex-manual-us-east-1`);
  });

  it('the event of its own write is ignored; a person’s identical write is fixed', async () => {
    // The bot's credentials are a session of its role, as in Lambda; STS (moto) says who that is.
    const credentials = await stsAssumeRole({ endpoint: world.moto.endpoint, credentials: { ...MOTO_CREDENTIALS } })({
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${BOT_ROLE_NAME}`,
      sessionName: 'reflex-events',
    });
    const callerIdentity = stsCallerIdentity({ endpoint: world.moto.endpoint, credentials });
    const { events } = handlers(world, policy({ identities: { aws: [] } }), { callerIdentity });

    const own = writeBy(
      `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/${BOT_ROLE_NAME}/reflex-events`,
      `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${BOT_ROLE_NAME}`,
    );
    const ignored = await events(own, FUNCTION_CONTEXT);
    expect(ignored.outcomes).toHaveLength(1);
    expect(ignored.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/own identity/) });
    expect(await ingress()).toEqual(['22:0.0.0.0/0']);

    const person = writeBy(
      `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/Admin/alice`,
      `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/Admin`,
    );
    const fixed = await events(person, FUNCTION_CONTEXT);
    expect(fixed.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    expect(await ingress()).toEqual([]);
  });
});
