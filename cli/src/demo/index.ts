import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import azureFunctions from '@azure/functions';
import { AwsAdapter, type AwsClients, createAwsClients, createEventsHandler, TransientFailure } from '@reflex/aws';
import { type Bot, configureBot, reflexEvents } from '@reflex/azure';
import {
  type CloudAdapter,
  describeRule,
  FileAuditStore,
  MemoryTicketSink,
  type Outcome,
  type Policy,
  PolicySchema,
  type ResourceRef,
  ruleMode,
  rulesFor,
} from '@reflex/core';
import {
  type ArmEmulator,
  MOTO_CREDENTIALS,
  type MotoServer,
  MotoUnavailableError,
  startArmEmulator,
  startMoto,
  staticArmCredential,
  trustCertificatePolicy,
} from '@reflex/sim';
import type { Io } from '../io.js';
import { buildProgram } from '../program.js';
import { EXIT, shortName } from '../report.js';
import { clip, createStyle, renderTable, type Style } from '../style.js';
import { AWS_REGION, type AwsEstate, BOT_ROLE, LOG_BUCKET, seedAws } from './aws.js';
import { type AzureEstate, BOT, RESPONDER, SUB, seedAzure, WORKSPACE } from './azure.js';

export interface DemoOptions {
  /** Colour (default: off; bin.ts turns it on for a terminal). */
  colour?: boolean;
  /** Terminal width for clipping long commands; 0: no clipping. */
  width?: number;
  /** Called after the last step with the clouds still up: tests read the end state here. */
  inspect?: (result: DemoResult, clouds: DemoClouds) => Promise<void>;
}

export interface DemoClouds {
  /** Absent when moto could not be had: the AWS half is skipped (said in two lines), the Azure half runs. */
  moto?: MotoServer;
  emulator: ArmEmulator;
  /** Clients straight to moto. */
  aws?: AwsClients;
}

/** What the demo did and claims, for whoever checks it against the clouds. */
export interface DemoResult {
  /** Absent when the AWS half was skipped (no moto). */
  aws?: AwsEstate;
  azure: AzureEstate;
  /** After enforcing: each seeded resource, compliant or not, as read back. */
  verified: { resource: ResourceRef; compliant: boolean; open: string[] }[];
  undone?: { resource: ResourceRef; remediationId: string; status: string };
  contained: { resource: ResourceRef; status: 'contained' | 'failed'; remediationId?: string }[];
  auditRecords: number;
}

function demoPolicy(mode: 'dry-run' | 'enforce'): Policy {
  return PolicySchema.parse({
    version: 1,
    mode,
    identities: { aws: [BOT_ROLE], azure: [BOT.oid] },
    rules: {
      storageWithoutLogging: { aws: { targetBucket: LOG_BUCKET }, azure: { workspaceId: WORKSPACE } },
      networkWithoutFlowLogs: { aws: { destination: `arn:aws:s3:::${LOG_BUCKET}` } },
    },
  });
}

const context = () =>
  new azureFunctions.InvocationContext({
    invocationId: `demo-${Math.random().toString(36).slice(2)}`,
    functionName: 'reflexEvents',
    logHandler: () => {},
  });

const ms = (from: number) => `${Math.round(performance.now() - from)} ms`;

/**
 * `reflex demo` / `npm start`: the real handlers on the embedded local clouds. Starts moto and the ARM emulator
 * on loopback, seeds a misconfigured estate on both, drives the AWS events handler with CloudTrail-via-EventBridge
 * events (the real fixtures, ids rewritten in memory) and the Azure Event Grid function with the events the
 * emulator emitted for the seeding writes — first in dry-run (tickets), then enforcing (fixes, timed) — verifies
 * by reading back, then undoes one fix and contains an instance and an NSG through the `reflex` CLI itself.
 * Both clouds are stopped in `finally`, and on SIGINT / SIGTERM.
 */
export async function runDemo(io: Io, opts: DemoOptions = {}): Promise<number> {
  const style = createStyle(opts.colour ?? false);
  const width = opts.width ?? 0;
  const started = performance.now();
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<unknown> | undefined;
  const stopAll = () => {
    stopping ??= Promise.allSettled(stops.map((stop) => stop()));
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    io.err(`\n${signal}: stopping the local clouds\n`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // The SDK's notice about Node 22 says nothing about the demo.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const workdir = await mkdtemp(join(tmpdir(), 'reflex-demo-'));
  try {
    const demo = new Demo(io, style, width, join(workdir, 'audit.jsonl'));
    const clouds = await demo.start(stops);
    const result = await demo.run(clouds);
    await opts.inspect?.(result, clouds);
    await stopAll();
    io.out(
      `\n${style.bold('done')} in ${((performance.now() - started) / 1000).toFixed(1)} s; moto and the ARM emulator are stopped\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof MotoUnavailableError) io.err(`reflex demo needs moto: ${err.message}\n`);
    else io.err(`reflex demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.open;
  } finally {
    await stopAll();
    await rm(workdir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

class Demo {
  private readonly tickets = new MemoryTicketSink();
  private readonly audit: FileAuditStore;
  private awsAdapter!: CloudAdapter;
  private azureBot!: Bot;

  constructor(
    private readonly io: Io,
    private readonly style: Style,
    private readonly width: number,
    private readonly auditFile: string,
  ) {
    this.audit = new FileAuditStore(auditFile);
  }

  private out(text = ''): void {
    this.io.out(`${text}\n`);
  }

  private heading(n: number, text: string): void {
    this.out(`\n${this.style.bold(`${n}. ${text}`)}`);
  }

  /** Long commands and ids are clipped to the terminal (or 140 columns); the tickets keep them whole. */
  private clip(text: string, indent: number, max = Number.POSITIVE_INFINITY): string {
    return clip(text, Math.min(max, (this.width || 140) - indent));
  }

  async start(stops: (() => Promise<void>)[]): Promise<DemoClouds> {
    this.out(this.style.bold('Reflex demo: the real handlers on local clouds (no account needed)'));
    this.heading(1, 'Start the local clouds');
    const t = performance.now();
    const [moto, emulator] = await Promise.allSettled([startMoto(), startArmEmulator({ subscriptionId: SUB })]);
    if (moto.status === 'fulfilled') stops.push(() => moto.value.stop());
    if (emulator.status === 'fulfilled') stops.push(() => emulator.value.stop());
    if (emulator.status === 'rejected') throw emulator.reason;
    // Without moto the Azure half still runs: what is missing and how to get it, in two lines, then on.
    if (moto.status === 'rejected' && !(moto.reason instanceof MotoUnavailableError)) throw moto.reason;
    if (moto.status === 'rejected') {
      for (const line of (moto.reason as Error).message.split('\n')) this.out(`   ${this.style.yellow(line)}`);
      this.out(`   ARM emulator        ${emulator.value.endpoint}   ${this.style.dim(`up in ${ms(t)}`)}`);
      this.out(this.style.yellow('   AWS: skipped (no moto); the Azure half runs'));
      return { emulator: emulator.value };
    }
    this.out(`   moto (AWS)          ${moto.value.endpoint}`);
    this.out(`   ARM emulator        ${emulator.value.endpoint}   ${this.style.dim(`both up in ${ms(t)}`)}`);
    const aws = createAwsClients(AWS_REGION, { endpoint: moto.value.endpoint, credentials: { ...MOTO_CREDENTIALS } });
    return { moto: moto.value, emulator: emulator.value, aws };
  }

  async run(clouds: DemoClouds): Promise<DemoResult> {
    const { emulator } = clouds;
    const awsClients = clouds.aws;
    if (awsClients) this.awsAdapter = new AwsAdapter(() => awsClients);

    this.heading(2, 'Seed a misconfigured estate');
    const t = performance.now();
    const timed = async <T>(p: Promise<T>) => {
      const r = await p;
      return [r, ms(t)] as const;
    };
    const [seededAws, [azure, tAzure]] = await Promise.all([
      awsClients ? timed(seedAws(awsClients)) : undefined,
      timed(seedAzure(emulator)),
    ]);
    const [aws, tAws] = seededAws ?? [undefined, 'skipped'];
    if (aws) {
      this.out('   AWS    demo-public-read (public-read ACL), demo-public-policy (Principal "*"),');
      this.out(
        '          demo-unencrypted (encryption deleted, logging off), demo-web (22 and 3389 open to the world,',
      );
      this.out(`          5432 from 10.0.0.0/8), instance ${aws.instance.name}`);
    } else this.out(this.style.yellow('   AWS    skipped (no moto)'));
    this.out('   Azure  stdemopublic (public, HTTP, TLS1_0), stdemoshare/public-assets (public container),');
    this.out('          nsg-demo (RDP from Internet, SSH from *)');
    this.out(
      this.style.dim(
        aws
          ? `   ${aws.events.length} CloudTrail events (from the fixtures) and ${azure.events.length} Event Grid events (from the emulator); seeded in ${tAws} (AWS) and ${tAzure} (Azure)`
          : `   ${azure.events.length} Event Grid events (from the emulator); seeded in ${tAzure} (Azure)`,
      ),
    );

    this.heading(3, 'Dry run: the same events, policy mode dry-run — tickets, nothing changed');
    const dry = await this.handleEvents(clouds, aws, azure, demoPolicy('dry-run'));
    const ticketed = dry.filter((o) => o.status === 'ticketed');
    const seen = new Set<string>();
    for (const ticket of this.tickets.tickets) {
      if (seen.has(ticket.dedupeKey)) continue;
      seen.add(ticket.dedupeKey);
      this.out(`   ${this.style.yellow('●')} ${this.clip(ticket.title, 5)}`);
      for (const step of ticket.steps) this.out(`       ${this.style.cyan(this.clip(`$ ${step.cli}`, 7))}`);
    }
    this.out(this.style.dim(`   ${seen.size} tickets for ${ticketed.length} findings; ${this.failures(dry)}`));

    this.heading(4, 'Enforce: the same events again, policy mode enforce');
    const enforced = await this.handleEvents(clouds, aws, azure, demoPolicy('enforce'));
    const fixed = enforced.filter((o) => o.status === 'fixed');
    this.out(
      renderTable(
        ['resource', 'rule', 'fix', 'ms'],
        fixed.map((o) => [
          shortName(o),
          o.rule ?? '-',
          this.clip(o.reason.replace(/^fixed: /, ''), 0, 70),
          (o.durationMs ?? 0).toFixed(0),
        ]),
        { right: [3], style: this.style },
      )
        .split('\n')
        .map((l) => `   ${l}`)
        .join('\n'),
    );
    const resolved = enforced.filter((o) => o.notes?.some((n) => n.includes('resolved'))).length;
    this.out(this.style.dim(`   ${fixed.length} fixes, ${resolved} tickets resolved; ${this.failures(enforced)}`));

    this.heading(5, 'Verify: read every seeded resource back');
    const seeded = [
      ...(aws ? [aws.publicRead, aws.publicPolicy, aws.unencrypted, aws.webGroup] : []),
      azure.publicAccount,
      azure.containerAccount,
      azure.nsg,
    ];
    const verified = await Promise.all(seeded.map((ref) => this.check(ref)));
    this.out(
      this.endTable(
        verified.map((v) => [
          v.resource,
          v.compliant ? this.style.green('yes') : this.style.red('no'),
          v.open.join('; '),
        ]),
      ),
    );

    const result: DemoResult = { ...(aws ? { aws } : {}), azure, verified, contained: [], auditRecords: 0 };

    this.heading(6, 'Undo one fix with the CLI (it restores the recorded before)');
    result.undone = await this.undoOne(clouds, enforced, azure, aws);

    this.heading(7, 'Contain with the CLI');
    if (aws) result.contained.push(await this.containInstance(clouds, aws));
    result.contained.push(
      await this.contain(azure.nsg, 'suspicious RDP logons, INC-2207', ['--endpoint', emulator.endpoint], clouds),
    );

    this.heading(8, 'End state');
    const rows: [ResourceRef, string, string][] = [];
    for (const ref of seeded) {
      const v = await this.check(ref);
      const notes = [
        ...(result.undone?.resource.id === ref.id && result.undone.status === 'undone' ? ['undone on purpose'] : []),
        ...(result.contained.some((c) => c.resource.id === ref.id && c.status === 'contained') ? ['contained'] : []),
        ...v.open,
      ];
      rows.push([ref, v.compliant ? this.style.green('yes') : this.style.yellow('no'), notes.join('; ')]);
    }
    const instance = aws && result.contained.find((c) => c.resource.id === aws.instance.id);
    if (aws && instance) rows.push([aws.instance, '-', instance.status]);
    this.out(this.endTable(rows));
    result.auditRecords = (await readFile(this.auditFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    this.out(this.style.dim(`   audit trail: ${result.auditRecords} records (before and after of every change)`));
    if (!aws) this.out(this.style.yellow('   AWS half: skipped (no moto; see step 1 for how to install it)'));
    return result;
  }

  private failures(outcomes: Outcome[]): string {
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (failed.length === 0) return 'no failures';
    for (const f of failed) this.out(`   ${this.style.red('✗')} ${shortName(f)} ${f.rule ?? ''}: ${f.reason}`);
    return this.style.red(`${failed.length} failed`);
  }

  /** Every event through the real handlers: the AWS events handler and the Azure Event Grid function. */
  private async handleEvents(
    clouds: DemoClouds,
    aws: AwsEstate | undefined,
    azure: AzureEstate,
    policy: Policy,
  ): Promise<Outcome[]> {
    const awsClients = clouds.aws;
    const events =
      aws && awsClients
        ? createEventsHandler({
            policy,
            clients: () => awsClients,
            tickets: this.tickets,
            audit: this.audit,
            logger: new Logger({ logLevel: 'SILENT' }),
            account: aws.instance.account,
          })
        : undefined;
    this.azureBot = configureBot({
      env: { REFLEX_POLICY: JSON.stringify(policy), REFLEX_SUBSCRIPTION_IDS: SUB },
      connection: { ...this.armConnection(clouds.emulator, BOT), pollIntervalMs: 10 },
      tickets: this.tickets,
      audit: this.audit,
    });
    const awsRun = (async () => {
      const out: Outcome[] = [];
      for (const e of events ? (aws?.events ?? []) : []) {
        try {
          out.push(...(await events!(e)).outcomes);
        } catch (err) {
          if (err instanceof TransientFailure) out.push(...err.report.outcomes);
          else throw err;
        }
      }
      return out;
    })();
    const azureRun = (async () => {
      const out: Outcome[] = [];
      for (const e of azure.events) out.push(...(await reflexEvents(e, context())).outcomes);
      return out;
    })();
    const [a, z] = await Promise.all([awsRun, azureRun]);
    // One line per resource and rule: later events for a resource find it already decided.
    const seen = new Set<string>();
    return [...a, ...z].filter((o) => {
      if (!o.rule) return o.status === 'failed';
      const key = `${o.resource.id}|${o.rule}|${o.status}`;
      return !seen.has(key) && seen.add(key) !== undefined;
    });
  }

  private armConnection(emulator: ArmEmulator, principal: { oid: string; appid: string }) {
    return {
      endpoint: emulator.endpoint,
      credential: staticArmCredential(principal),
      additionalPolicies: [trustCertificatePolicy(emulator.ca)],
    };
  }

  /** Reads a resource back through the adapter and runs every enforced rule on what is true now. */
  private async check(ref: ResourceRef): Promise<{ resource: ResourceRef; compliant: boolean; open: string[] }> {
    const adapter = ref.cloud === 'aws' ? this.awsAdapter : this.azureBot.adapter;
    const policy = demoPolicy('enforce');
    const posture = await adapter.read(ref);
    if (!posture) return { resource: ref, compliant: false, open: ['gone'] };
    const open = rulesFor(posture)
      .filter((r) => ruleMode(policy, r.name) !== 'off')
      .flatMap((r) => (r.evaluate(posture, policy) ? [r.name] : []));
    return { resource: ref, compliant: open.length === 0, open };
  }

  private endTable(rows: [ResourceRef, string, string][]): string {
    return renderTable(
      ['resource', 'cloud', 'compliant', 'notes'],
      rows.map(([ref, ok, notes]) => [ref.name, ref.cloud, ok, notes]),
      { style: this.style },
    )
      .split('\n')
      .map((l) => `   ${l}`)
      .join('\n');
  }

  /** Runs `reflex ARGS` in-process, as a responder with local credentials, and shows it. */
  private async cli(args: string[], clouds: DemoClouds): Promise<{ code: number; out: string }> {
    let out = '';
    let code = 0;
    const shown = args.filter(
      (a, i) =>
        !a.startsWith('--endpoint') &&
        args[i - 1] !== '--endpoint' &&
        !a.startsWith('--audit') &&
        args[i - 1] !== '--audit',
    );
    this.out(`   ${this.style.cyan(`$ reflex ${shown.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`)}`);
    const program = buildProgram({ out: (t) => (out += t), err: (t) => (out += t) }, (c) => (code = c), {
      env: { ...process.env, AWS_REGION, REFLEX_POLICY: JSON.stringify(demoPolicy('enforce')) },
      awsCredentials: { ...MOTO_CREDENTIALS },
      azureCredential: staticArmCredential(RESPONDER),
      armPolicies: [trustCertificatePolicy(clouds.emulator.ca)],
      armPollIntervalMs: 10,
      tty: this.style.enabled,
    });
    await program.parseAsync(['node', 'reflex', ...args, '--audit', this.auditFile]);
    for (const line of out.trimEnd().split('\n')) this.out(line ? `     ${line}` : '');
    return { code, out };
  }

  private async undoOne(clouds: DemoClouds, enforced: Outcome[], azure: AzureEstate, aws: AwsEstate | undefined) {
    const candidates: { ref: ResourceRef; adapter: CloudAdapter; endpoint: string }[] = [
      ...(aws && clouds.moto ? [{ ref: aws.webGroup, adapter: this.awsAdapter, endpoint: clouds.moto.endpoint }] : []),
      { ref: azure.nsg, adapter: this.azureBot.adapter, endpoint: clouds.emulator.endpoint },
    ];
    for (const c of candidates) {
      const fix = enforced.find((o) => o.resource.id === c.ref.id && o.rule === 'openIngress' && o.status === 'fixed');
      if (!fix?.remediationId || !c.adapter.restore) continue;
      this.out(
        this.style.dim(
          `   ${c.ref.name}: the ${c.ref.cloud === 'azure' ? 'RDP/SSH' : 'SSH/RDP'} rules are needed for an approved change window`,
        ),
      );
      const run = await this.cli(
        ['undo', fix.remediationId, '--reason', 'approved change window CHG-1042', '--endpoint', c.endpoint],
        clouds,
      );
      const posture = await c.adapter.read(c.ref);
      if (posture?.kind === 'firewall') {
        this.out(this.style.dim(`   ${c.ref.name} inbound now (read back):`));
        for (const r of posture.rules.filter((r) => r.direction === 'inbound')) this.out(`     ${describeRule(r)}`);
      }
      return { resource: c.ref, remediationId: fix.remediationId, status: run.code === 0 ? 'undone' : 'refused' };
    }
    this.out(this.style.yellow('   undo is not available from the adapters in this build; skipped'));
    return undefined;
  }

  private async contain(ref: ResourceRef, reason: string, extra: string[], clouds: DemoClouds) {
    const run = await this.cli(['contain', ref.id, '--reason', reason, ...extra], clouds);
    const remediationId = /\b(con-[a-z0-9]+-[0-9a-f]{8})\b/.exec(run.out)?.[1];
    return {
      resource: ref,
      status: run.code === 0 ? ('contained' as const) : ('failed' as const),
      ...(remediationId ? { remediationId } : {}),
    };
  }

  /** The instance: every interface moved to a quarantine group with no rules. */
  private async containInstance(clouds: DemoClouds, aws: AwsEstate) {
    const extra = ['--endpoint', clouds.moto?.endpoint ?? '', '--region', AWS_REGION];
    return this.contain(aws.instance, 'crypto-miner alert GD-4471', extra, clouds);
  }
}
