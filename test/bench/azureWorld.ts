/** The ARM emulator in its own process (validation off), and the real Functions handlers pointed at it. */
import { createRequire } from 'node:module';
import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { type Bot, configureBot } from '@reflex/azure';
import { JsonLinesTicketSink } from '@reflex/core';
import { armClientOptions } from '@reflex/sim';
import { type Backend, startBackend } from './backend.js';
import { CallLog, timingPolicy } from './timing.js';

// @azure/functions is CommonJS whose named exports Node's ESM loader cannot see.
const { InvocationContext } = createRequire(import.meta.url)('@azure/functions') as typeof import('@azure/functions');
type InvocationContext = import('@azure/functions').InvocationContext;

export const SUB = '11111111-2222-3333-4444-555555555555';
export const RG = 'rg-reflex-bench';
export const LOCATION = 'westeurope';
export const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.OperationalInsights/workspaces/logs`;
export const BOT = { oid: '0b0b0b0b-0000-4000-8000-00000000b07b', appid: '0b0b0b0b-0000-4000-8000-0000000a9919' };
export const ALICE = { oid: 'a11ce000-0000-4000-8000-0000000a11ce', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' };
export const API = { storage: '2025-08-01', network: '2026-01-01', monitor: '2021-05-01-preview' };

export function policyYaml(mode: 'enforce' | 'dry-run' = 'enforce'): string {
  return `version: 1
mode: ${mode}
identities:
  azure: ['${BOT.oid}']
blastRadius:
  limit: 1000000
  windowMinutes: 60
rules:
  storageWithoutLogging:
    azure:
      workspaceId: ${WORKSPACE}
`;
}

export const accountId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${name}`;
export const nsgId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
export const diagnosticId = (account: string, name: string) =>
  `${accountId(account)}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/${name}`;

export interface AzureWorld {
  arm: Backend;
  log: CallLog;
  human: { storage: StorageManagementClient; network: NetworkManagementClient; monitor: MonitorClient };
  /** Configures the bot (the instance the exported handlers use) on the emulator, its clients timed. */
  configure(mode?: 'enforce' | 'dry-run'): Bot;
  seed(resources: { id: string; body: Record<string, unknown>; apiVersion: string }[]): Promise<void>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAzureWorld(): Promise<AzureWorld> {
  const arm = await startBackend('arm', { REFLEX_BENCH_SUBSCRIPTION: SUB });
  const emulator = { endpoint: arm.endpoint, ca: arm.ca ?? '' };
  const log = new CallLog();
  const o = armClientOptions(emulator, ALICE);
  const opts = { endpoint: o.endpoint, additionalPolicies: o.additionalPolicies };
  const world: AzureWorld = {
    arm,
    log,
    human: {
      storage: new StorageManagementClient(o.credential, SUB, opts),
      network: new NetworkManagementClient(o.credential, SUB, opts),
      monitor: new MonitorClient(o.credential, SUB, opts),
    },
    configure(mode = 'enforce') {
      const connection = armClientOptions(emulator, BOT);
      return configureBot({
        env: { REFLEX_POLICY: policyYaml(mode), REFLEX_SUBSCRIPTION_IDS: SUB },
        // Emulator LROs are done at the first poll; the SDK is told not to wait between polls (ARM's Retry-After
        // would set that wait in Azure, outside the bot's control).
        connection: {
          ...connection,
          additionalPolicies: [...connection.additionalPolicies, timingPolicy(log)],
          pollIntervalMs: 0,
        },
        tickets: new JsonLinesTicketSink(() => {}),
      });
    },
    async seed(resources) {
      for (let i = 0; i < resources.length; i += 2_000) {
        const { failed } = await arm.send<{ failed: number }>('seedResources', {
          resources: resources.slice(i, i + 2_000),
        });
        if (failed > 0) throw new Error(`${failed} seeded resources were refused by the emulator`);
      }
    },
    async reset() {
      await arm.send('reset');
      await arm.send('seedResourceGroup', { name: RG, location: LOCATION });
    },
    stop: () => arm.stop(),
  };
  await world.reset();
  return world;
}

export function invocation(name = 'reflexEvents'): InvocationContext {
  return new InvocationContext({
    invocationId: `inv-${Math.random().toString(36).slice(2)}`,
    functionName: name,
    logHandler: () => {},
  });
}

export function storageAccountBody(extra: Record<string, unknown> = {}) {
  return {
    location: LOCATION,
    sku: { name: 'Standard_LRS' },
    kind: 'StorageV2',
    properties: { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2', ...extra },
  };
}

export function diagnosticBody() {
  return {
    properties: {
      workspaceId: WORKSPACE,
      logs: ['StorageRead', 'StorageWrite', 'StorageDelete'].map((category) => ({ category, enabled: true })),
    },
  };
}

export function privateRule(name = 'postgres', priority = 130) {
  return {
    name,
    properties: {
      priority,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      sourcePortRange: '*',
      sourceAddressPrefix: '10.0.0.0/8',
      destinationAddressPrefix: '*',
      destinationPortRange: '5432',
    },
  };
}
