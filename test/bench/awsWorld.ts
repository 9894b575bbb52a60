/** moto (Python, its own process) with the fault proxy in front (its own process); clients timed at the HTTP layer. */
import { Logger } from '@aws-lambda-powertools/logger';
import { type AwsClients, createAwsClients } from '@reflex/aws';
import { type Policy, PolicySchema } from '@reflex/core';
import { MOTO_ACCOUNT_ID, MOTO_CREDENTIALS, MOTO_REGION, type MotoServer, startMoto } from '@reflex/sim';
import { BOT_ROLE, directClients, fixture } from '../worlds/aws.js';
import { type Backend, startBackend } from './backend.js';
import { CallLog, timeAwsClient, timeAwsSends } from './timing.js';

export { BOT_ROLE, fixture, MOTO_ACCOUNT_ID, MOTO_REGION };
export const LOG_BUCKET = 'reflex-bench-access-logs';

export interface AwsWorld {
  moto: MotoServer;
  proxy: Backend;
  log: CallLog;
  /** The proxy clients' SDK calls, timed at `client.send`. */
  sends: CallLog;
  /** Through the proxy, timed. */
  viaProxy: AwsClients;
  /** Straight to moto, timed (throughput runs: no extra hop). */
  direct: AwsClients;
  /** Straight to moto, not timed: arranging state. */
  setup: AwsClients;
  stop(): Promise<void>;
}

export function timedClients(endpoint: string, log: CallLog, maxAttempts?: number, sends?: CallLog): AwsClients {
  const clients = createAwsClients(MOTO_REGION, {
    endpoint,
    credentials: { ...MOTO_CREDENTIALS },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
  timeAwsClient(clients.s3, log, 's3');
  timeAwsClient(clients.s3control, log, 's3control');
  timeAwsClient(clients.ec2, log, 'ec2');
  timeAwsClient(clients.cloudtrail, log, 'cloudtrail');
  if (sends)
    for (const [name, client] of Object.entries(clients))
      if (typeof client === 'object' && 'send' in client) timeAwsSends(client, sends, name);
  return clients;
}

export async function startAwsWorld(): Promise<AwsWorld> {
  const moto = await startMoto();
  let proxy: Backend | undefined;
  try {
    proxy = await startBackend('proxy', { REFLEX_BENCH_UPSTREAM: moto.endpoint });
  } catch (err) {
    await moto.stop();
    throw err;
  }
  const log = new CallLog();
  const sends = new CallLog();
  const p = proxy;
  return {
    moto,
    proxy: p,
    log,
    sends,
    viaProxy: timedClients(p.endpoint, log, undefined, sends),
    direct: timedClients(moto.endpoint, log),
    setup: directClients(moto.endpoint),
    async stop() {
      await p.stop().catch(() => {});
      await moto.stop();
    },
  };
}

export function benchPolicy(mode: 'enforce' | 'dry-run' = 'enforce'): Policy {
  return PolicySchema.parse({
    version: 1,
    mode,
    identities: { aws: [BOT_ROLE] },
    // Hundreds of fixes an hour on one account are the point here, not an incident.
    blastRadius: { limit: 1_000_000, windowMinutes: 60 },
    rules: {
      storageWithoutLogging: { aws: { targetBucket: LOG_BUCKET } },
      networkWithoutFlowLogs: { aws: { destination: `arn:aws:s3:::${LOG_BUCKET}` } },
    },
  });
}

/**
 * A logger as in production (INFO, JSON, powertools) whose lines are built and then dropped: the bot pays for
 * formatting its log lines, the benchmark's stdout stays readable.
 */
export function quietProductionLogger(): Logger {
  const logger = new Logger({ serviceName: 'reflex-aws', logLevel: 'INFO' });
  let bytes = 0;
  const sink = (line: unknown) => {
    bytes += String(line).length;
  };
  (logger as unknown as { console: Record<string, unknown> }).console = {
    info: sink,
    warn: sink,
    error: sink,
    debug: sink,
    log: sink,
    trace: sink,
  };
  void bytes;
  return logger;
}
