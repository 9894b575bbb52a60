/** The ARM emulator in its own process (validation off), and the real Functions handlers pointed at it. */
import { createRequire } from 'node:module';
import { type Bot, configureBot } from '@reflex/azure';
import { JsonLinesTicketSink } from '@reflex/core';
import { armClientOptions } from '@reflex/sim';
import { ALICE, BOT, humanClients, SUB } from '../worlds/azure.js';
import { type Backend, startBackend } from './backend.js';
import { CallLog, timingPolicy } from './timing.js';

// @azure/functions is CommonJS whose named exports Node's ESM loader cannot see.
const { InvocationContext } = createRequire(import.meta.url)('@azure/functions') as typeof import('@azure/functions');
type InvocationContext = import('@azure/functions').InvocationContext;

export { ALICE, BOT, SUB };
export const RG = 'rg-reflex-bench';
export const LOCATION = 'westeurope';
export const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.OperationalInsights/workspaces/logs`;
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
  human: ReturnType<typeof humanClients>;
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
  const world: AzureWorld = {
    arm,
    log,
    human: humanClients(emulator),
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
