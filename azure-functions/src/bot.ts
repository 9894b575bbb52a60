import type { InvocationContext } from '@azure/functions';
import {
  type AuditRecord,
  type AuditSink,
  type BlastRadiusStore,
  type EnginePorts,
  type EventLedger,
  errorMessage,
  InMemoryBlastRadiusStore,
  InMemoryEventLedger,
  JsonLinesTicketSink,
  type Policy,
  PolicyError,
  policyFromEnv,
  type TicketSink,
} from '@reflex/core';
import { AzureAdapter } from './adapter.js';
import { ArmClientCache, type ArmConnection, armConnectionFromEnv } from './arm/clients.js';

/** What can be swapped: tests point the bot at the emulator and keep tickets in memory. */
export interface BotOptions {
  env?: NodeJS.ProcessEnv;
  connection?: ArmConnection;
  /** Default: JSON lines through the invocation's log. */
  tickets?: TicketSink;
  /** Default: each record logged as JSON through the invocation's log. */
  audit?: AuditSink;
  ledger?: EventLedger;
  blastRadius?: BlastRadiusStore;
}

/** Audit records as structured log lines; Application Insights keeps them with the invocation. */
class LogAuditSink implements AuditSink {
  constructor(private readonly context: InvocationContext) {}
  async record(record: AuditRecord): Promise<void> {
    this.context.info(JSON.stringify({ kind: 'reflex.audit', ...record }));
  }
}

/**
 * What one Functions instance keeps between invocations: the policy (loaded once), the ARM clients, the
 * event ledger and the blast-radius window. A bad policy is kept as its problems, so every invocation reports
 * them and acts on nothing.
 */
export class Bot {
  readonly policy: Policy | undefined;
  readonly policyProblems: string[] = [];
  readonly clients: ArmClientCache;
  readonly adapter: AzureAdapter;
  readonly subscriptions: string[];
  private readonly ledger: EventLedger;
  private readonly blastRadius: BlastRadiusStore;

  constructor(private readonly options: BotOptions = {}) {
    const env = options.env ?? process.env;
    try {
      this.policy = policyFromEnv(env);
    } catch (err) {
      this.policyProblems = err instanceof PolicyError ? err.problems : [errorMessage(err)];
    }
    this.clients = new ArmClientCache(options.connection ?? armConnectionFromEnv(env));
    this.adapter = new AzureAdapter(this.clients);
    this.ledger = options.ledger ?? new InMemoryEventLedger();
    this.blastRadius = options.blastRadius ?? new InMemoryBlastRadiusStore();
    this.subscriptions = (env['REFLEX_SUBSCRIPTION_IDS'] ?? env['REFLEX_SUBSCRIPTION_ID'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** Engine ports for one invocation: sinks write through its context, stores are the instance's. */
  ports(context: InvocationContext): EnginePorts {
    return {
      adapter: this.adapter,
      tickets: this.options.tickets ?? new JsonLinesTicketSink((line) => context.info(line.trimEnd())),
      audit: this.options.audit ?? new LogAuditSink(context),
      blastRadius: this.blastRadius,
      ledger: this.ledger,
      onAlarm: (alarm) => context.warn(JSON.stringify({ log: 'reflex.alarm', ...alarm })),
    };
  }
}

let current: Bot | undefined;

/** The instance's bot, created from the environment on first use. */
export function bot(): Bot {
  current ??= new Bot();
  return current;
}

/** Replaces the instance's bot (tests, the demo); returns it. */
export function configureBot(options: BotOptions): Bot {
  current = new Bot(options);
  return current;
}
