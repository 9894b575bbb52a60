import { Logger } from '@aws-lambda-powertools/logger';
import {
  type Alarm,
  type AuditSink,
  type BlastRadiusStore,
  type Clock,
  type EnginePorts,
  type EventLedger,
  errorMessage,
  InMemoryBlastRadiusStore,
  InMemoryEventLedger,
  JsonLinesTicketSink,
  type Outcome,
  type Policy,
  PolicyError,
  policyFromEnv,
  type Report,
  type TicketSink,
} from '@reflex/core';
import { AwsAdapter } from '../adapter.js';
import { LogAuditSink } from '../audit.js';
import { type ClientsForRegion, cachedClients } from '../clients.js';

/** What a handler is built from; every part has a production default, tests replace the ones they watch. */
export interface BotDeps {
  /** Default: `policyFromEnv()` (REFLEX_POLICY / REFLEX_POLICY_FILE / REFLEX_KILL_SWITCH), read once. */
  policy?: Policy | (() => Policy);
  clients?: ClientsForRegion;
  tickets?: TicketSink;
  audit?: AuditSink;
  blastRadius?: BlastRadiusStore;
  ledger?: EventLedger;
  clock?: Clock;
  logger?: Logger;
  /** Targets handled at once (sweeps). Default 16. */
  concurrency?: number;
  /** The account when nothing else says (manual calls with bucket ARNs, which carry none). */
  account?: string;
  onAlarm?: (alarm: Alarm) => void;
}

/** Lambda's context, as far as Reflex reads it. */
export interface InvocationContext {
  invokedFunctionArn?: string;
  awsRequestId?: string;
}

export interface Bot {
  /** The policy, or the problems that make it unusable (then nothing acts). */
  policy(): Policy | PolicyError;
  ports: EnginePorts;
  clients: ClientsForRegion;
  logger: Logger;
  concurrency: number;
  account?: string;
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
  let loaded: Policy | PolicyError | undefined;
  const policy = () => {
    loaded ??= loadPolicy(deps.policy);
    return loaded;
  };
  const clients = deps.clients ?? cachedClients();
  const ports: EnginePorts = {
    adapter: new AwsAdapter(clients),
    tickets: deps.tickets ?? new JsonLinesTicketSink(),
    audit: deps.audit ?? new LogAuditSink(logger),
    blastRadius: deps.blastRadius ?? new InMemoryBlastRadiusStore(),
    ledger: deps.ledger ?? new InMemoryEventLedger(),
    ...(deps.clock ? { clock: deps.clock } : {}),
    onAlarm: deps.onAlarm ?? ((alarm) => logger.warn('reflex.alarm', { alarm })),
  };
  return {
    policy,
    ports,
    clients,
    logger,
    concurrency: deps.concurrency ?? 16,
    ...(deps.account ? { account: deps.account } : {}),
  };
}

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
  const counts: Record<string, number> = {};
  for (const o of report.outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  bot.logger.info('reflex.report', { what, counts, report: slim(report) });
  const transient = report.outcomes.filter((o) => o.transient);
  if (transient.length > 0) {
    throw new TransientFailure(
      `${transient.length} outcome(s) failed transiently (${transient[0]!.reason}); retry the event`,
      report,
    );
  }
  return report;
}

/** Outcomes without the trigger repeated on each, for shorter log lines. */
function slim(report: Report) {
  return {
    ...report,
    outcomes: report.outcomes.map(({ trigger, ...o }: Outcome) => ({ ...o, eventId: trigger.eventId })),
  };
}
