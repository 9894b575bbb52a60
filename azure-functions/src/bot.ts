import type { InvocationContext } from '@azure/functions';
import {
  type AuditRecord,
  type AuditSink,
  type AuditStore,
  type BlastRadiusStore,
  createTicketSinks,
  type EnginePorts,
  type EventLedger,
  errorMessage,
  FanOutTicketSink,
  InMemoryBlastRadiusStore,
  InMemoryEventLedger,
  JsonLinesTicketSink,
  type LeaseStore,
  type Policy,
  PolicyError,
  policyFromEnv,
  type TicketSink,
} from '@reflex/core';
import { AzureAdapter } from './adapter.js';
import { ArmClientCache, type ArmConnection, armConnectionFromEnv } from './arm/clients.js';
import { OwnIdentity } from './arm/ownIdentity.js';
import { type StateStores, stateStoresFromEnv } from './state/tables.js';

/** What can be swapped: tests point the bot at the emulator and keep tickets in memory. */
export interface BotOptions {
  env?: NodeJS.ProcessEnv;
  connection?: ArmConnection;
  /** Default: the policy's ticket sinks (`createTicketSinks`), JSON lines through the invocation's log when none. */
  tickets?: TicketSink;
  /** Default: the audit table when configured, and always each record logged as JSON through the invocation's log. */
  audit?: AuditSink;
  ledger?: EventLedger;
  blastRadius?: BlastRadiusStore;
  /** Per-resource leases across instances. Default: the state table, when there is one. */
  leases?: LeaseStore;
}

/** Audit records as structured log lines; Application Insights keeps them with the invocation. */
class LogAuditSink implements AuditSink {
  constructor(private readonly context: InvocationContext) {}
  async record(record: AuditRecord): Promise<void> {
    this.context.info(JSON.stringify({ kind: 'reflex.audit', ...record }));
  }
}

/** The audit table plus the log line: the table is what undo reads, the log is what an operator searches. */
class TableAndLogAudit implements AuditStore {
  constructor(
    private readonly table: AuditStore,
    private readonly log: AuditSink,
  ) {}
  async record(record: AuditRecord): Promise<void> {
    await Promise.all([this.table.record(record), this.log.record(record)]);
  }
  byRemediation(id: string): Promise<AuditRecord[]> {
    return this.table.byRemediation(id);
  }
}

const isStore = (s: AuditSink | undefined): s is AuditStore =>
  typeof (s as Partial<AuditStore> | undefined)?.byRemediation === 'function';

/**
 * Marks the instance's JSON-lines sink that writes to "the invocation's log": ports() swaps in a sink writing
 * through that invocation's context (invocations of one instance run concurrently). A per-invocation sink rather
 * than an AsyncLocalStorage: in Node 20 and 22 that installs promise hooks that tax every await of the process.
 */
const INVOCATION_LOG = (line: string) => console.log(line.trimEnd());

/**
 * What one Functions instance keeps between invocations: the policy (loaded once), the ARM clients, the
 * ticket sinks, and the state stores (Azure Tables when configured, else in memory). A bad policy is kept as its
 * problems, so every invocation reports them and acts on nothing.
 */
export class Bot {
  readonly policy: Policy | undefined;
  readonly policyProblems: string[] = [];
  readonly clients: ArmClientCache;
  readonly adapter: AzureAdapter;
  readonly subscriptions: string[];
  /** Ticket setup problems (a missing secret), reported in the log; the sink itself never blocks a fix. */
  readonly ticketProblems: string[] = [];
  readonly state: StateStores;
  /** The environment the bot was configured from (app settings in Functions). */
  readonly env: NodeJS.ProcessEnv;
  /** The identity the bot writes with, learnt from its own token: the loop guard needs no configuration. */
  readonly own: OwnIdentity;
  private readonly ledger: EventLedger;
  private readonly blastRadius: BlastRadiusStore;
  private readonly leases?: LeaseStore;
  private readonly tickets: TicketSink;

  constructor(private readonly options: BotOptions = {}) {
    const env = options.env ?? process.env;
    this.env = env;
    try {
      this.policy = policyFromEnv(env);
    } catch (err) {
      this.policyProblems = err instanceof PolicyError ? err.problems : [errorMessage(err)];
    }
    const connection = options.connection ?? armConnectionFromEnv(env);
    this.clients = new ArmClientCache(connection);
    this.own = new OwnIdentity(connection.credential, connection.endpoint, (problem) =>
      console.warn(JSON.stringify({ kind: 'reflex.identity', problem })),
    );
    const flow = this.policy?.rules.networkWithoutFlowLogs?.azure;
    this.adapter = new AzureAdapter(this.clients, {
      flowLogs: flow?.workspaceId ? { workspaceId: flow.workspaceId } : {},
    });
    this.state = stateStoresFromEnv(env, () => connection.credential);
    this.ledger = options.ledger ?? this.state.ledger ?? new InMemoryEventLedger();
    this.blastRadius = options.blastRadius ?? this.state.blastRadius ?? new InMemoryBlastRadiusStore();
    const leases = options.leases ?? this.state.leases;
    if (leases) this.leases = leases;
    if (options.tickets) this.tickets = options.tickets;
    else {
      // Secrets arrive as environment variables; in Functions, Key Vault references in app settings resolve to them.
      const sinks = createTicketSinks(this.policy ?? {}, env, { stdout: INVOCATION_LOG });
      this.ticketProblems = sinks.problems;
      this.tickets = sinks;
    }
    this.subscriptions = (env['REFLEX_SUBSCRIPTION_IDS'] ?? env['REFLEX_SUBSCRIPTION_ID'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** The audit trail undo reads: the injected store, or the audit table; undefined when neither exists. */
  auditStore(context: InvocationContext): AuditStore | undefined {
    if (this.options.audit) return isStore(this.options.audit) ? this.options.audit : undefined;
    return this.state.audit ? new TableAndLogAudit(this.state.audit, new LogAuditSink(context)) : undefined;
  }

  /** The instance's sinks, with the one marked INVOCATION_LOG writing through this invocation's log. */
  private ticketsFor(context: InvocationContext): TicketSink {
    const fanOut = this.tickets;
    if (!(fanOut instanceof FanOutTicketSink)) return fanOut;
    const own = (sink: TicketSink) => sink instanceof JsonLinesTicketSink && sink.target === INVOCATION_LOG;
    if (!fanOut.sinks.some((s) => own(s.sink))) return fanOut;
    const log = new JsonLinesTicketSink((line) => context.info(line.trimEnd()));
    return new FanOutTicketSink(fanOut.sinks.map((s) => (own(s.sink) ? { name: s.name, sink: log } : s)));
  }

  /** Engine ports for one invocation: sinks write through its context, stores are the instance's. */
  ports(context: InvocationContext): EnginePorts {
    for (const p of this.ticketProblems) context.warn(JSON.stringify({ kind: 'reflex.tickets', problem: p }));
    return {
      adapter: this.adapter,
      tickets: this.ticketsFor(context),
      audit: this.options.audit ?? this.auditStore(context) ?? new LogAuditSink(context),
      blastRadius: this.blastRadius,
      ledger: this.ledger,
      ...(this.leases ? { leases: this.leases } : {}),
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
