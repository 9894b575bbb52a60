import { Logger } from '@aws-lambda-powertools/logger';
import { PolicySchema } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import type { AwsClients, TemporaryCredentials } from '../src/clients.js';
import { isTransient } from '../src/errors.js';
import { createBot } from '../src/handlers/bot.js';
import {
  type AssumeRoleRequest,
  assumedRoleCredentials,
  memberAccountClients,
  memberAccountSettings,
  roleSessionName,
} from '../src/memberAccounts.js';

const A = '123456789012';
const B = '210987654321';
const creds = (n: number, expiresInMs?: number, now = 0): TemporaryCredentials => ({
  accessKeyId: `AKIA${n}`,
  secretAccessKey: 's',
  sessionToken: 't',
  ...(expiresInMs !== undefined ? { expiration: new Date(now + expiresInMs) } : {}),
});

describe('member account settings', () => {
  it('only with REFLEX_MEMBER_ROLE_NAME; the external id is optional', () => {
    expect(memberAccountSettings({})).toBeUndefined();
    expect(memberAccountSettings({ REFLEX_MEMBER_ROLE_NAME: '  ' })).toBeUndefined();
    expect(memberAccountSettings({ REFLEX_MEMBER_ROLE_NAME: 'reflex-member' })).toEqual({ roleName: 'reflex-member' });
    expect(
      memberAccountSettings({ REFLEX_MEMBER_ROLE_NAME: 'reflex-member', REFLEX_MEMBER_EXTERNAL_ID: 'org-1' }),
    ).toEqual({ roleName: 'reflex-member', externalId: 'org-1' });
  });

  it('session names: reflex-<event id>, only the allowed characters, at most 64', () => {
    expect(roleSessionName('6f1a-22')).toBe('reflex-6f1a-22');
    expect(roleSessionName(undefined)).toBe('reflex-sweep');
    expect(roleSessionName('a b/c:d')).toBe('reflex-a-b-c-d');
    const long = roleSessionName('x'.repeat(100));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('assumed-role credentials', () => {
  const request = (): AssumeRoleRequest => ({ roleArn: `arn:aws:iam::${B}:role/reflex-member`, sessionName: 'x' });

  it('assumes once, shares one call among concurrent callers, renews five minutes before expiry', async () => {
    let now = 0;
    let calls = 0;
    const provider = assumedRoleCredentials(
      request,
      async () => creds(++calls, 60 * 60_000, now),
      () => now,
    );
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    now = 54 * 60_000;
    expect((await provider()).accessKeyId).toBe('AKIA1');
    now = 55 * 60_000 + 1;
    expect((await provider()).accessKeyId).toBe('AKIA2');
    expect(calls).toBe(2);
  });

  it('a failure names the role, keeps the code (throttling stays transient) and is retried on the next call', async () => {
    let fail = true;
    const provider = assumedRoleCredentials(request, async () => {
      if (fail)
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
      return creds(1);
    });
    const err = (await provider().catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`could not assume arn:aws:iam::${B}:role/reflex-member: Rate exceeded`);
    expect(isTransient(err)).toBe(true);
    fail = false;
    expect((await provider()).accessKeyId).toBe('AKIA1');
  });
});

describe('clients per (account, region)', () => {
  const base = (region: string) => ({ region, tag: 'own' }) as unknown as AwsClients;

  it('own account and refs without an account use the base clients; others get member clients, cached', async () => {
    const requests: AssumeRoleRequest[] = [];
    let session = 'reflex-evt-1';
    const clients = memberAccountClients(base, {
      settings: { roleName: 'reflex-member', externalId: 'org-1' },
      ownAccount: () => A,
      sessionName: () => session,
      options: { endpoint: 'http://127.0.0.1:9' },
      assume: async (r) => {
        requests.push(r);
        return creds(requests.length, 3600_000, Date.now());
      },
    });
    expect((clients('eu-west-1', A) as unknown as { tag: string }).tag).toBe('own');
    expect((clients('eu-west-1') as unknown as { tag: string }).tag).toBe('own');
    const inB = clients('eu-west-1', B);
    expect(inB).toBe(clients('eu-west-1', B));
    expect(clients('us-east-1', B)).not.toBe(inB);
    expect(inB.region).toBe('eu-west-1');
    // One provider per account, shared by every client and region of it; the SDK calls it before signing.
    const provider = inB.ec2.config.credentials;
    session = 'reflex-evt-2';
    await provider();
    await clients('us-east-1', B).s3.config.credentials();
    expect(requests).toEqual([
      { roleArn: `arn:aws:iam::${B}:role/reflex-member`, sessionName: 'reflex-evt-2', externalId: 'org-1' },
    ]);
    // Partition from the region.
    await clients('cn-north-1', B).ec2.config.credentials();
    expect(requests[1]?.roleArn).toBe(`arn:aws-cn:iam::${B}:role/reflex-member`);
  });
});

describe('the bot in a central account', () => {
  const policy = PolicySchema.parse({ version: 1, identities: { aws: [`arn:aws:iam::${A}:role/reflex-events`] } });
  const bot = (env: Record<string, string>) =>
    createBot({ policy, env, clients: () => ({}) as AwsClients, logger: new Logger({ logLevel: 'SILENT' }) });
  const context = { invokedFunctionArn: `arn:aws:lambda:eu-west-1:${A}:function:reflex-events` };

  it('learns its account from the invoked function ARN; refuses other accounts without the member role', () => {
    const single = bot({});
    expect(single.refusal(B)).toBeUndefined(); // own account not known yet: as before
    single.begin(context, 'e1');
    expect(single.account).toBe(A);
    expect(single.refusal(A)).toBeUndefined();
    expect(single.refusal('')).toBeUndefined();
    expect(single.refusal(B)).toMatch(/account 210987654321 and the bot runs in 123456789012.*REFLEX_MEMBER_ROLE_NAME/);
    expect(single.policyFor(policy, [{ account: B, partition: 'aws' }])).toBe(policy);
  });

  it('with the member role: reaches other accounts, and their member role counts as its own identity', () => {
    const central = bot({ REFLEX_MEMBER_ROLE_NAME: 'reflex-member' });
    central.begin(context, 'e1');
    expect(central.refusal(B)).toBeUndefined();
    const scoped = central.policyFor(policy, [
      { account: A, partition: 'aws' },
      { account: B, partition: 'aws' },
      { account: B, partition: 'aws' },
    ]);
    expect(scoped.identities.aws).toEqual([
      `arn:aws:iam::${A}:role/reflex-events`,
      `arn:aws:iam::${B}:role/reflex-member`,
    ]);
    expect(policy.identities.aws).toHaveLength(1);
  });
});
