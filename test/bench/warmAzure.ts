/** Event to verified fix, warm, on the ARM emulator: the real Event Grid function in-process, each call timed. */
import { reflexEvents } from '@reflex/azure';
import type { Report } from '@reflex/core';
import { armClientOptions } from '@reflex/sim';
import {
  API,
  type AzureWorld,
  accountId,
  BOT,
  diagnosticBody,
  diagnosticId,
  invocation,
  nsgId,
  privateRule,
  RG,
  SUB,
  startAzureWorld,
  storageAccountBody,
} from './azureWorld.js';
import { type BareRead, bareRead, measureParallelism, type Parallelism } from './parallelism.js';
import { type Rtt, type Sample, type ScenarioResult, summarise } from './scenario.js';
import type { WarmOptions } from './warmAws.js';

interface AzureScenario {
  name: string;
  rule: string;
  kind: 'storage' | 'nsg';
  misconfigure(w: AzureWorld, name: string): Promise<void>;
}

const FAST = { updateIntervalInMs: 0 };

export const AZURE_SCENARIOS: AzureScenario[] = [
  {
    name: 'public storage account',
    rule: 'publicStorage',
    kind: 'storage',
    async misconfigure(w, name) {
      await w.human.storage.storageAccounts.update(
        RG,
        name,
        // arm-storage 20 sends `properties` only when a PascalCase marker is set (see fixStorage.ts in the adapter).
        Object.assign({ allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_2' }, { AllowBlobPublicAccess: true }),
      );
    },
  },
  {
    name: 'open NSG rule',
    rule: 'openIngress',
    kind: 'nsg',
    async misconfigure(w, name) {
      await w.human.network.securityRules.beginCreateOrUpdateAndWait(
        RG,
        name,
        'ssh-open',
        {
          priority: 100,
          direction: 'Inbound',
          access: 'Allow',
          protocol: 'Tcp',
          sourcePortRange: '*',
          sourceAddressPrefix: '*',
          destinationAddressPrefix: '*',
          destinationPortRange: '22',
        },
        FAST,
      );
    },
  },
  {
    name: 'missing diagnostics',
    rule: 'storageWithoutLogging',
    kind: 'storage',
    async misconfigure(w, name) {
      await w.human.monitor.diagnosticSettings.delete(
        `${accountId(name)}/blobServices/default`,
        'reflex-blob-access-logs',
      );
    },
  },
];

async function compliant(w: AzureWorld, sc: AzureScenario, name: string): Promise<void> {
  if (sc.kind === 'storage') {
    await w.seed([
      { id: accountId(name), body: storageAccountBody(), apiVersion: API.storage },
      { id: diagnosticId(name, 'reflex-blob-access-logs'), body: diagnosticBody(), apiVersion: API.monitor },
    ]);
  } else {
    await w.seed([
      {
        id: nsgId(name),
        body: { location: 'westeurope', properties: { securityRules: [privateRule()] } },
        apiVersion: API.network,
      },
    ]);
  }
}

function check(report: Report, rule: string): string | undefined {
  if (!report.outcomes.some((o) => o.rule === rule && o.status === 'fixed'))
    return `${rule} was not fixed: ${report.outcomes.map((o) => `${o.rule ?? '-'}:${o.status} ${o.reason}`).join('; ')}`;
  const bad = report.outcomes.filter((o) => o.rule && o.rule !== rule && o.status !== 'compliant');
  if (bad.length > 0) return bad.map((o) => `${o.rule}: ${o.status} (${o.reason})`).join('; ');
  return undefined;
}

/** The RTT probe's read as bare HTTPS to the emulator, with the bot's bearer token (no SDK pipeline). */
async function bareArmRead(w: AzureWorld, path: string): Promise<BareRead> {
  const emulator = { endpoint: w.arm.endpoint, ca: w.arm.ca ?? '' };
  const token = await armClientOptions(emulator, BOT).credential.getToken('https://management.azure.com/.default');
  return bareRead(`${emulator.endpoint}${path}`, {
    ca: emulator.ca,
    headers: { authorization: `Bearer ${token?.token ?? ''}` },
  });
}

export async function runWarmAzure(opts: WarmOptions): Promise<{ results: ScenarioResult[] }> {
  const w = await startAzureWorld();
  try {
    const bot = w.configure();
    const results: ScenarioResult[] = [];
    const parallelism = new Map<AzureScenario['kind'], Parallelism>();
    for (const [index, sc] of AZURE_SCENARIOS.entries()) {
      const name = sc.kind === 'storage' ? `stbench${index}` : `nsg-bench-${index}`;
      // The round trip of one read of the scenario's kind of resource (a probe, so the scenario's own stays as seeded).
      const probeNsg = 'nsg-bench-probe';
      const probeAccount = 'stbenchprobe';
      await w.seed([
        {
          id: nsgId(probeNsg),
          body: { location: 'westeurope', properties: { securityRules: [] } },
          apiVersion: API.network,
        },
        { id: accountId(probeAccount), body: storageAccountBody(), apiVersion: API.storage },
      ]);
      const arm = bot.clients.for(SUB);
      const probe =
        sc.kind === 'storage'
          ? { call: 'GET storageAccounts', send: () => arm.storage.storageAccounts.getProperties(RG, probeAccount) }
          : { call: 'GET networkSecurityGroups', send: () => arm.network.networkSecurityGroups.get(RG, probeNsg) };
      const rtt: Rtt = { call: probe.call, sdk: [], wire: [] };
      const samples: Sample[] = [];
      const problems = new Set<string>();
      for (let i = 0; i < opts.warmup + opts.iterations; i++) {
        await compliant(w, sc, name);
        await sc.misconfigure(w, name);
        const event = await w.arm.send<Record<string, unknown> | null>('lastEvent');
        if (!event) throw new Error(`${sc.name}: the emulator emitted no event`);
        event.id = `${String(event.id)}-${i}`;
        await w.arm.clearCalls();
        w.log.clear();
        const t0 = performance.now();
        let report: Report;
        try {
          report = await reflexEvents(event, invocation());
        } catch (err) {
          problems.add(`handler threw: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        const wallMs = performance.now() - t0;
        const timed = w.log.take();
        const backendCalls = (await w.arm.calls()).length;
        const problem = check(report, sc.rule);
        if (problem) problems.add(problem);
        for (let k = 0; k < 2; k++) {
          const s = performance.now();
          await probe.send();
          const e = performance.now();
          const wire = w.log.take();
          if (i >= opts.warmup && wire.length === 1) {
            rtt.sdk.push(e - s);
            rtt.wire.push(wire[0]!.end - wire[0]!.start);
          }
        }
        if (i >= opts.warmup) samples.push({ wallMs, backendCalls, timed });
      }
      const target = sc.kind === 'storage' ? accountId(probeAccount) : nsgId(probeNsg);
      const apiVersion = sc.kind === 'storage' ? API.storage : API.network;
      const bare =
        parallelism.get(sc.kind) ??
        (await measureParallelism(probe.call, await bareArmRead(w, `${target}?api-version=${apiVersion}`), 4, 100));
      parallelism.set(sc.kind, bare);
      const r = summarise('azure', sc.name, 'Event Grid (emulator-emitted)', samples, rtt, [...problems], bare);
      results.push(r);
      opts.progress(
        `azure ${sc.name.padEnd(22)} p50 ${r.wallP50.toFixed(1)} ms  calls ${r.calls}  depth ${r.depth}  rtt ${r.rttMs.toFixed(2)} ms`,
      );
    }
    return { results };
  } finally {
    await w.stop();
  }
}
