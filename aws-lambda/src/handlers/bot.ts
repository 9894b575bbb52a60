import { Logger } from '@aws-lambda-powertools/logger';
import {
  type Alarm,
  type AuditSink,
  type AuditStore,
  type BlastRadiusStore,
  boundedDeep,
  type Clock,
  countByStatus,
  createTicketSinks,
  type EnginePorts,
  type EventLedger,
  errorMessage,
  type HandleOptions,
  InMemoryBlastRadiusStore,
  InMemoryEventLedger,
  JsonLinesTicketSink,
  type LeaseStore,
  logParts,
  type Outcome,
  outcomesToList,
  type Policy,
  PolicyError,
  policyFromEnv,
  type Report,
  type ResourceRef,
  type Target,
  type TicketSink,
} from '@reflex/core';
import { AwsAdapter } from '../adapter.js';
import { LogAuditSink, LoggedAuditStore } from '../audit.js';
import { type AwsClientOptions, type ClientsForRegion, cachedClients } from '../clients.js';
import {
  type AssumeRole,
  type MemberAccountSettings,
  memberAccountClients,
  memberAccountSettings,
  memberRoleArn,
  roleSessionName,
} from '../memberAccounts.js';
import { type CallerIdentity, OwnIdentity, stsCallerIdentity } from '../ownIdentity.js';
import { resolveSecretReferences, type SecretOptions } from '../secrets.js';
import {
  DynamoDbAuditStore,
  DynamoDbBlastRadiusStore,
  DynamoDbEventLedger,
  DynamoDbLeaseStore,
} from '../state/dynamodb.js';

/** What a handler is built from; every part has a production default, tests replace the ones they watch. */
export interface BotDeps {
  /** Default: `policyFromEnv()` (REFLEX_POLICY / REFLEX_POLICY_FILE / REFLEX_KILL_SWITCH), read once. */
  policy?: Policy | (() => Policy);
  clients?: ClientsForRegion;
  /**
   * Default: `createTicketSinks(policy, env)` once per container, after the environment's `secretsmanager:`
   * references are resolved (JSON lines to stdout when the policy configures no ticket system).
   */
  tickets?: TicketSink;
  /**
   * Default: the DynamoDB table `REFLEX_AUDIT_TABLE` (and log lines), else log lines only. Undo needs a store that
   * can be read back (an `AuditStore`).
   */
  audit?: AuditSink;
  /** The environment the bot configures itself from. Default: `process.env`. */
  env?: Record<string, string | undefined>;
  /** Endpoint / credentials for the clients the bot creates itself (DynamoDB, Secrets Manager); default: the SDK's. */
  awsOptions?: AwsClientOptions;
  secrets?: SecretOptions;
  blastRadius?: BlastRadiusStore;
  ledger?: EventLedger;
  /** Per-resource leases across containers. Default: the state table, when there is one. */
  leases?: LeaseStore;
  clock?: Clock;
  logger?: Logger;
  /** Targets handled at once (sweeps). Default 16. */
  concurrency?: number;
  /**
   * The function's own account when the invocation does not say (Lambda's context does: the invoked function's ARN).
   * Also the account of manual calls with bucket ARNs, which carry none. Default: `REFLEX_ACCOUNT_ID`.
   */
  account?: string;
  /** Sends AssumeRole for member accounts (`REFLEX_MEMBER_ROLE_NAME`). Default: STS, loaded on first use. */
  assumeRole?: AssumeRole;
  onAlarm?: (alarm: Alarm) => void;
  /**
   * How the bot learns its own role for the loop guard. Default: sts:GetCallerIdentity with `awsOptions`, once per
   * container, when running in Lambda (AWS_LAMBDA_FUNCTION_NAME); elsewhere (tests, the CLI) none unless given.
   */
  callerIdentity?: CallerIdentity | false;
}

/** Lambda's context, as far as Reflex reads it. */
export interface InvocationContext {
  invokedFunctionArn?: string;
  awsRequestId?: string;
}

export interface Bot {
  /** The policy, or the problems that make it unusable (then nothing acts). */
  policy(): Policy | PolicyError;
  /** Resolves secret references and builds the ticket sinks, once per container; every invocation awaits it. */
  prepare(policy: Policy): Promise<void>;
  ports: EnginePorts;
  adapter: AwsAdapter;
  /** The audit trail when it can be read back (undo); undefined when records only go to the log. */
  auditStore?: AuditStore;
  env: Record<string, string | undefined>;
  clients: ClientsForRegion;
  logger: Logger;
  concurrency: number;
  /** The function's own account, once known (deps, `REFLEX_ACCOUNT_ID`, then the first invocation's context). */
  readonly account?: string;
  /** Member-account settings (`REFLEX_MEMBER_ROLE_NAME`); undefined: the bot acts in its own account only. */
  member?: MemberAccountSettings;
  /** Per invocation, before any cloud call: learns the own account from the context, names the role session. */
  begin(context: InvocationContext | undefined, eventId: string | undefined): void;
  /**
   * Why the bot will not act on a resource in this account (another account, without a member role), or
   * undefined when it may.
   */
  refusal(account: string | undefined): string | undefined;
  /**
   * The policy for targets in these accounts: with the member role of each other account among the bot's
   * identities, so that the loop guard knows the bot's own sessions there and a lock-down keeps it out of its
   * own way.
   */
  policyFor(policy: Policy, refs: Iterable<Pick<ResourceRef, 'account' | 'partition'>>): Policy;
  /** The policy with the bot's own role (learnt from STS once per container) among its identities. */
  withOwnIdentity(policy: Policy): Promise<Policy>;
}

/** A failure worth Lambda's retry (and, past it, the dead-letter queue): throttling, 5xx, timeouts. */
export class TransientFailure extends Error {
  override readonly name = 'TransientFailure';
  constructor(
    message: string,
    readonly report: Report,
  ) {
    super(message);
  }
}

export function createBot(deps: BotDeps = {}): Bot {
  const logger = deps.logger ?? new Logger({ serviceName: 'reflex-aws' });
  const env = deps.env ?? process.env;
  let loaded: Policy | PolicyError | undefined;
  const policy = () => {
    loaded ??= loadPolicy(deps.policy);
    return loaded;
  };
  const aws = deps.awsOptions ?? {};
  const member = memberAccountSettings(env);
  let ownAccount = deps.account || env.REFLEX_ACCOUNT_ID?.trim() || undefined;
  let session = roleSessionName(undefined);
  const base = deps.clients ?? cachedClients();
  const clients = member
    ? memberAccountClients(base, {
        settings: member,
        ownAccount: () => ownAccount,
        sessionName: () => session,
        options: aws,
        ...(deps.assumeRole ? { assume: deps.assumeRole } : {}),
      })
    : base;
  const auditTable = env.REFLEX_AUDIT_TABLE?.trim();
  const stateTable = env.REFLEX_STATE_TABLE?.trim();
  const audit: AuditSink =
    deps.audit ??
    (auditTable
      ? new LoggedAuditStore(logger, new DynamoDbAuditStore({ ...aws, tableName: auditTable }))
      : new LogAuditSink(logger));
  const leases = deps.leases ?? (stateTable ? new DynamoDbLeaseStore({ ...aws, tableName: stateTable }) : undefined);
  const adapter = new AwsAdapter(clients, {
    containment: { snapshots: /^(1|true|yes|on)$/i.test(env.REFLEX_CONTAIN_SNAPSHOTS ?? '') },
    ...(leases ? { leases } : {}),
  });
  const ports: EnginePorts = {
    adapter,
    tickets: deps.tickets ?? pendingTickets,
    audit,
    blastRadius:
      deps.blastRadius ??
      (stateTable ? new DynamoDbBlastRadiusStore({ ...aws, tableName: stateTable }) : new InMemoryBlastRadiusStore()),
    ledger:
      deps.ledger ??
      (stateTable ? new DynamoDbEventLedger({ ...aws, tableName: stateTable }) : new InMemoryEventLedger()),
    ...(leases ? { leases } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    onAlarm: deps.onAlarm ?? ((alarm) => logger.warn('reflex.alarm', { alarm })),
  };
  let prepared: Promise<void> | undefined;
  const prepare = (p: Policy): Promise<void> => {
    if (deps.tickets) return Promise.resolve();
    prepared ??= (async () => {
      const resolved = await resolveSecretReferences(env, { ...aws, ...deps.secrets });
      for (const problem of resolved.problems) logger.warn('reflex.secrets', { problem });
      const sinks = createTicketSinks(p, resolved.env);
      for (const problem of sinks.problems) logger.warn('reflex.tickets', { problem });
      ports.tickets = sinks;
      // A secret that could not be read now may be readable on the next invocation.
      if (resolved.problems.length > 0) prepared = undefined;
    })().catch((err: unknown) => {
      prepared = undefined;
      ports.tickets = new JsonLinesTicketSink();
      logger.warn('reflex.tickets', {
        problem: `could not set up the ticket sinks (JSON lines to stdout meanwhile): ${errorMessage(err)}`,
      });
    });
    return prepared ?? Promise.resolve();
  };
  const auditStore = 'byRemediation' in audit ? (audit as AuditStore) : undefined;
  const lookup =
    deps.callerIdentity === false
      ? undefined
      : (deps.callerIdentity ?? (env.AWS_LAMBDA_FUNCTION_NAME ? stsCallerIdentity(aws) : undefined));
  const own = new OwnIdentity(lookup, (problem) => logger.warn('reflex.identity', { problem }));
  // Asked now, while the policy and secrets load: the first event then rarely waits for it (errors are logged there).
  if (lookup) void own.roleArn();
  let warnedUnknown = false;
  return {
    policy,
    prepare,
    ports,
    adapter,
    ...(auditStore ? { auditStore } : {}),
    env,
    clients,
    logger,
    concurrency: deps.concurrency ?? 16,
    get account() {
      return ownAccount;
    },
    ...(member ? { member } : {}),
    begin(context, eventId) {
      const fromArn = context?.invokedFunctionArn?.split(':')[4];
      if (fromArn && /^\d{12}$/.test(fromArn)) ownAccount = fromArn;
      session = roleSessionName(eventId);
      if (member && !ownAccount && !warnedUnknown) {
        warnedUnknown = true;
        logger.warn('reflex.member', {
          problem:
            'REFLEX_MEMBER_ROLE_NAME is set but the function does not know its own account (no invoked function ARN, ' +
            "no REFLEX_ACCOUNT_ID): every resource is handled with the function's own credentials",
        });
      }
    },
    refusal(account) {
      if (member || !account || !ownAccount || account === ownAccount) return undefined;
      return (
        `the resource is in account ${account} and the bot runs in ${ownAccount}: acting in another account needs ` +
        'REFLEX_MEMBER_ROLE_NAME (the role ReflexMemberAccount deploys there); nothing was read or changed'
      );
    },
    withOwnIdentity: (p) => own.policyWithOwn(p),
    policyFor(p, refs) {
      if (!member || !ownAccount) return p;
      const extra = [...refs]
        .filter((r) => r.account && r.account !== ownAccount)
        .map((r) => memberRoleArn(r.partition || 'aws', r.account, member.roleName));
      if (extra.length === 0) return p;
      return { ...p, identities: { ...p.identities, aws: [...new Set([...p.identities.aws, ...extra])] } };
    },
  };
}

/**
 * How a sweep handles its targets: under sustained throttling the SDK's retry quota runs dry by design, so targets
 * that failed transiently get later rounds at half the concurrency, after a pause (n × 2 s before round n) in which
 * the backoffs still running settle and the service recovers.
 */
export function sweepOptions(bot: Pick<Bot, 'concurrency'>): HandleOptions {
  return { concurrency: bot.concurrency, retryRounds: 3, retryPauseMs: 2000 };
}

/** Targets the bot may act on, and an `ignored` outcome for each one in another account it may not reach. */
export function reachable(bot: Bot, targets: Target[]): { targets: Target[]; refused: Outcome[] } {
  const ok: Target[] = [];
  const refused: Outcome[] = [];
  for (const t of targets) {
    const reason = bot.refusal(t.ref.account);
    if (reason) refused.push({ status: 'ignored', resource: t.ref, trigger: t.trigger, reason });
    else ok.push(t);
  }
  return { targets: ok, refused };
}

/** Until `prepare` has built the real sinks: never used by a handler, which always awaits `prepare` first. */
const pendingTickets: TicketSink = {
  async file() {
    throw new Error('ticket sinks are not ready: the handler did not await prepare()');
  },
};

function loadPolicy(source: BotDeps['policy']): Policy | PolicyError {
  try {
    if (typeof source === 'function') return source();
    return source ?? policyFromEnv();
  } catch (err) {
    return err instanceof PolicyError ? err : new PolicyError([errorMessage(err)]);
  }
}

export function invalidPolicyReport(err: PolicyError): Report {
  return { outcomes: [], errors: [{ code: err.code, message: `${err.message}\nnothing was changed` }] };
}

/** The account of the function itself, from its ARN (arn:aws:lambda:region:ACCOUNT:function:name). */
export function accountOf(context: InvocationContext | undefined, fallback?: string): string {
  const fromArn = context?.invokedFunctionArn?.split(':')[4];
  return fromArn && /^\d{12}$/.test(fromArn) ? fromArn : (fallback ?? process.env.REFLEX_ACCOUNT_ID ?? '');
}

/** Logs the report and decides: resolve, or throw so Lambda retries what a retry may fix. */
export function finish(bot: Bot, report: Report, what: string): Report {
  const counts = countByStatus(report.outcomes);
  const sweep = what === 'sweep';
  const parts = logParts(outcomesToList(report.outcomes, sweep));
  parts.forEach((outcomes, i) => {
    bot.logger.info('reflex.report', {
      what,
      counts,
      ...(sweep ? { listed: 'every outcome but compliant (counted only)' } : {}),
      ...(parts.length > 1 ? { part: `${i + 1}/${parts.length}` } : {}),
      report: boundedDeep(slim({ outcomes, ...(i === 0 && report.errors ? { errors: report.errors } : {}) })),
    });
  });
  const transient = report.outcomes.filter((o) => o.transient);
  if (transient.length > 0) {
    throw new TransientFailure(
      `${transient.length} outcome(s) failed transiently (${transient[0]!.reason}); retry the event`,
      report,
    );
  }
  return report;
}

/**
 * The report as one compact log line: per outcome the resource, rule, status, reason and the ids that lead to the
 * rest (remediation id → the audit records, which carry every step's before and after; ticket). Findings, steps and
 * call descriptions are not repeated here: formatting them cost more than the fix's own work.
 */
function slim(report: Report) {
  return {
    outcomes: report.outcomes.map((o) => ({
      resource: o.resource.id,
      ...(o.rule ? { rule: o.rule } : {}),
      status: o.status,
      reason: o.reason,
      ...(o.remediationId ? { remediationId: o.remediationId } : {}),
      ...(o.ticket?.ref ? { ticket: o.ticket.ref } : {}),
      ...(o.transient ? { transient: true } : {}),
      ...(o.notes ? { notes: o.notes } : {}),
      ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
      eventId: o.trigger.eventId,
    })),
    ...(report.errors ? { errors: report.errors } : {}),
  };
}
