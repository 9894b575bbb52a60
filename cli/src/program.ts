import { errorMessage, ReflexError } from '@reflex/core';
import { Command, Option } from 'commander';
import { containCommand } from './commands/contain.js';
import { explainCommand } from './commands/explain.js';
import { remediateCommand } from './commands/remediate.js';
import type { CommandContext } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { UsageError } from './commands/target.js';
import { undoCommand } from './commands/undo.js';
import { validateCommand } from './commands/validate.js';
import type { Io } from './io.js';
import { EXIT } from './report.js';
import { type CliDeps, type CommonOptions, DEFAULT_AUDIT_FILE, loadPolicy, Session } from './session.js';
import { colourWanted, createStyle } from './style.js';

export type { Io } from './io.js';
export { EXIT } from './report.js';

const OUTPUT = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

/** The flags of every command that talks to a cloud. */
function withCommon(cmd: Command): Command {
  return cmd
    .option('--profile <name>', 'AWS: shared config/credentials profile (default chain otherwise)')
    .option('--region <region>', 'AWS: region (default AWS_REGION, AWS_DEFAULT_REGION, us-east-1)')
    .option('--subscription <id>', 'Azure: subscription id (taken from the ARM id when one is given)')
    .option('--policy <file>', 'policy file (default REFLEX_POLICY / REFLEX_POLICY_FILE, else every rule in dry-run)')
    .addOption(OUTPUT())
    .option('--audit <file>', `local audit trail, read by undo (default REFLEX_AUDIT_FILE or ${DEFAULT_AUDIT_FILE})`)
    .option(
      '--endpoint <url>',
      'cloud endpoint override: moto, the ARM emulator (default AWS_ENDPOINT_URL / REFLEX_ARM_ENDPOINT)',
    )
    .option('--ca-bundle <file>', 'Azure: PEM certificates to trust for the ARM endpoint');
}

/**
 * The `reflex` command. `setExit` receives the exit code: 0 all compliant or fixed, 1 something left open,
 * 2 bad input. Commander's own usage errors (unknown command or option, missing argument) throw a
 * CommanderError, which bin.ts turns into 2.
 */
/** The demo module, or undefined (and a message) where the local clouds are not installed: a packed CLI. */
async function loadDemo(io: Io): Promise<typeof import('./demo/index.js') | undefined> {
  try {
    return await import('./demo/index.js');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !String((err as Error).message).includes('@reflex/sim')) throw err;
    io.err(
      'reflex demo runs the embedded local clouds, which ship with the repository, not with the packed CLI:\n' +
        '  git clone <the Reflex repository> && cd reflex && npm ci && npm start\n',
    );
    return undefined;
  }
}

export function buildProgram(io: Io, setExit: (code: number) => void, deps: CliDeps = {}): Command {
  const tty = deps.tty ?? process.stdout.isTTY === true;
  const env = deps.env ?? process.env;

  const program = new Command('reflex')
    .description('Auto-remediation for AWS and Azure: find what is open, close exactly that, record the before.')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError();

  /** Runs one cloud command: builds the session, maps bad input to 2 and cloud errors to 1. */
  const act =
    <A extends unknown[]>(fn: (session: Session, ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: [...A, CommonOptions, Command]) => {
      const opts = args[args.length - 2] as CommonOptions;
      const json = opts.output === 'json';
      const ctx: CommandContext = {
        io,
        style: createStyle(!json && (deps.tty ?? colourWanted(process.stdout, env)) && !env['NO_COLOR']),
        width: tty && !json ? (process.stdout.columns ?? 120) : 0,
        tty,
      };
      try {
        const session = new Session(loadPolicy(opts, env), opts, deps);
        setExit(await fn(session, ctx, ...(args.slice(0, -2) as A)));
      } catch (err) {
        const bad = err instanceof UsageError || err instanceof ReflexError;
        io.err(`reflex: ${errorMessage(err)}\n`);
        setExit(bad ? EXIT.badInput : EXIT.open);
      }
    };

  withCommon(
    program
      .command('remediate')
      .description('check one resource now and fix what the policy enforces (tickets in dry-run)')
      .argument('<resource>', 'ARN or ARM id')
      .option('--rule <rule...>', 'only these rules')
      .option('--dry-run', 'plan and ticket, change nothing'),
  ).action(
    act((session, ctx, id: string) => {
      const o = session.opts as CommonOptions & { rule?: string[]; dryRun?: boolean };
      return remediateCommand(
        id,
        { ...(o.rule ? { rule: o.rule } : {}), ...(o.dryRun ? { dryRun: true } : {}) },
        session,
        ctx,
      );
    }),
  );

  withCommon(
    program
      .command('sweep')
      .description('check every resource of a region (AWS) or subscription (Azure)')
      .addOption(new Option('--cloud <cloud>', 'which cloud').choices(['aws', 'azure']).makeOptionMandatory())
      .option('--dry-run', 'plan and ticket, change nothing'),
  ).action(
    act((session, ctx) => {
      const o = session.opts as CommonOptions & { cloud: 'aws' | 'azure'; dryRun?: boolean };
      return sweepCommand({ cloud: o.cloud, ...(o.dryRun ? { dryRun: true } : {}) }, session, ctx);
    }),
  );

  withCommon(
    program
      .command('contain')
      .description('isolate an instance, lock down a bucket or storage account, shut a group or NSG (undoable)')
      .argument('<resource>', 'ARN or ARM id')
      .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
      .option('--quarantine-group <id>', 'AWS: the quarantine security group to use for an instance')
      .option('--dry-run', 'show the plan, change nothing'),
  ).action(
    act((session, ctx, id: string) => {
      const o = session.opts as CommonOptions & { reason?: string; dryRun?: boolean; quarantineGroup?: string };
      return containCommand(id, o, session, ctx);
    }),
  );

  withCommon(
    program
      .command('undo')
      .description('put back what a remediation or containment changed, if nobody changed it since')
      .argument('<remediation-id>', 'rem-... or con-..., from the report or the audit trail')
      .requiredOption('--reason <text>', 'why (recorded in the audit trail)'),
  ).action(act((session, ctx, id: string) => undoCommand(id, session.opts as { reason?: string }, session, ctx)));

  program
    .command('validate')
    .description('check a policy file; prints every problem with its path')
    .argument('<policy>', 'policy file (YAML or JSON)')
    .addOption(OUTPUT())
    .action((file: string, opts: { output: 'table' | 'json' }) => setExit(validateCommand(file, opts.output, io)));

  program
    .command('explain')
    .description('what a rule finds and exactly what its fix changes')
    .argument('[rule]', 'rule name; all rules when omitted')
    .action((rule: string | undefined) => setExit(explainCommand(rule, io)));

  program
    .command('demo')
    .description('run Reflex on the embedded local clouds (moto + the ARM emulator): dry-run, enforce, undo, contain')
    .action(async () => {
      // Loaded on demand: the demo needs the local clouds (@reflex/sim), which only a clone of the repository has.
      const demo = await loadDemo(io);
      if (!demo) return setExit(EXIT.badInput);
      setExit(
        await demo.runDemo(io, {
          colour: deps.tty ?? colourWanted(process.stdout, env),
          width: tty ? (process.stdout.columns ?? 120) : 0,
        }),
      );
    });

  return program;
}
