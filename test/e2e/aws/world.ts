import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AwsClients,
  type BotDeps,
  createAwsClients,
  createEventsHandler,
  createManualHandler,
  stsAssumeRole,
} from '@reflex/aws';
import { MemoryAuditStore, MemoryTicketSink, type Policy, type PolicyInput, PolicySchema } from '@reflex/core';
import {
  type FaultProxy,
  MOTO_ACCOUNT_ID,
  MOTO_CREDENTIALS,
  MOTO_REGION,
  type MotoServer,
  startFaultProxy,
  startMoto,
} from '@reflex/sim';
import { BOT_ROLE, directClients, fixture } from '../../worlds/aws.js';

export { BOT_ROLE, fixture, MOTO_ACCOUNT_ID, MOTO_REGION };
export const LOG_BUCKET = 'reflex-access-logs';
/** A member account of the central-bus deployment, and the role the bot assumes there (ReflexMemberAccount's). */
export const MEMBER_ACCOUNT_ID = '210987654321';
export const MEMBER_ROLE = 'reflex-member';
/** The central function's ARN: its account is the bot's own. */
export const FUNCTION_CONTEXT = {
  invokedFunctionArn: `arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:function:reflex-events`,
  awsRequestId: 'request-1',
};

/** moto behind a fault proxy; clients talk to the proxy, so its call log sees every request. */
export interface World {
  moto: MotoServer;
  proxy: FaultProxy;
  /** Clients for the handler under test (through the proxy). */
  clients: AwsClients;
  /** Clients for arranging and asserting (straight to moto, not counted, never faulted). */
  direct: AwsClients;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const moto = await startMoto();
  const proxy = await startFaultProxy({ upstream: moto.endpoint });
  const clients = createAwsClients(MOTO_REGION, { endpoint: proxy.endpoint, credentials: { ...MOTO_CREDENTIALS } });
  const direct = directClients(moto.endpoint);
  return {
    moto,
    proxy,
    clients,
    direct,
    async stop() {
      await proxy.stop();
      await moto.stop();
    },
  };
}

export async function resetWorld(world: World): Promise<void> {
  await world.moto.reset();
  world.proxy.setFaults({ throttleRate: 0, errorRate: 0 });
  world.proxy.resetStats();
}

export function policy(input: Partial<PolicyInput> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    mode: 'enforce',
    identities: { aws: [BOT_ROLE] },
    ...input,
    rules: {
      storageWithoutLogging: { aws: { targetBucket: LOG_BUCKET } },
      networkWithoutFlowLogs: { aws: { destination: `arn:aws:s3:::${LOG_BUCKET}` } },
      ...input.rules,
    },
  });
}

export function handlers(world: World, p: Policy, extra: Partial<BotDeps> = {}) {
  const tickets = new MemoryTicketSink();
  const audit = new MemoryAuditStore();
  const deps: BotDeps = {
    policy: p,
    clients: () => world.clients,
    tickets,
    audit,
    logger: new Logger({ logLevel: 'SILENT' }),
    account: MOTO_ACCOUNT_ID,
    ...extra,
  };
  return { events: createEventsHandler(deps), manual: createManualHandler(deps), tickets, audit };
}

/** The same event as if the bot's own role had made the call. */
export function asBot(event: Record<string, unknown>): Record<string, unknown> {
  const detail = event.detail as Record<string, unknown>;
  return {
    ...event,
    detail: {
      ...detail,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/reflex-bot/reflex-events`,
        accountId: MOTO_ACCOUNT_ID,
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: BOT_ROLE, accountId: MOTO_ACCOUNT_ID, userName: 'reflex-bot' },
        },
      },
    },
  };
}

/** Options for the clients a bot creates itself (DynamoDB, Secrets Manager): through the proxy, moto's credentials. */
export function awsOptions(world: World) {
  return { endpoint: world.proxy.endpoint, credentials: { ...MOTO_CREDENTIALS } };
}

/**
 * Clients for arranging and asserting in another account, straight to moto. moto scopes EC2 (and every regional
 * backend) by the account of the access key: credentials from AssumeRole of a role in account B act in B; the
 * default key acts in MOTO_ACCOUNT_ID. moto neither checks that the role exists nor evaluates its trust. After a
 * reset the assumed keys are gone (and would silently mean the default account), so call this again.
 */
export async function accountClients(world: World, account: string, roleName = MEMBER_ROLE): Promise<AwsClients> {
  const assume = stsAssumeRole({ endpoint: world.moto.endpoint, credentials: { ...MOTO_CREDENTIALS } });
  const credentials = await assume({ roleArn: `arn:aws:iam::${account}:role/${roleName}`, sessionName: 'arrange' });
  return createAwsClients(MOTO_REGION, { endpoint: world.moto.endpoint, credentials, absentAnswers: false });
}

/** The same event as if the bot's assumed member role had made the call in that account. */
export function asMemberRole(event: Record<string, unknown>, account: string): Record<string, unknown> {
  const detail = event.detail as Record<string, unknown>;
  const role = `arn:aws:iam::${account}:role/${MEMBER_ROLE}`;
  return {
    ...event,
    detail: {
      ...detail,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${account}:assumed-role/${MEMBER_ROLE}/reflex-${String(event.id).slice(0, 20)}`,
        accountId: account,
        sessionContext: { sessionIssuer: { type: 'Role', arn: role, accountId: account, userName: MEMBER_ROLE } },
      },
    },
  };
}

/** The AssumeRole calls the bot sent (through the proxy). */
export function assumeRoleCalls(world: World) {
  return world.proxy.calls().filter((c) => c.operation === 'AssumeRole');
}

export function writeCalls(world: World) {
  return world.proxy.calls().filter((c) => c.write && !c.path.startsWith('/moto-api'));
}
