import type { SecurityRule } from '@azure/arm-network';
import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { configureBot, reflexManual } from '@reflex/azure';
import { MemoryAuditStore, MemoryTicketSink } from '@reflex/core';
import { type AdditionalPolicyConfig, type ArmEmulator, armClientOptions, startArmEmulator } from '@reflex/sim';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { ALICE, BOT, humanClients, SUB } from '../../worlds/azure.js';

export { ALICE, BOT, humanClients, SUB };
export const RG = 'rg-reflex';
export const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.OperationalInsights/workspaces/logs`;
export function policyYaml(extra = ''): string {
  return `version: 1
mode: enforce
identities:
  azure: ['${BOT.oid}']
rules:
  storageWithoutLogging:
    azure:
      workspaceId: ${WORKSPACE}
allow:
  publicIngress:
    - match: '*public-web*'
      ports: [443]
${extra}`;
}

/**
 * One emulator per test file: started before, stopped after, reset and seeded with the resource groups before
 * each test, and every test must leave no contract violation. `use` receives the emulator once started.
 */
export function useEmulator(use: (emulator: ArmEmulator) => void, extraResourceGroups: string[] = []): void {
  let emulator: ArmEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
    use(emulator);
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(() => {
    emulator!.reset();
    for (const rg of [RG, ...extraResourceGroups]) emulator!.seedResourceGroup(rg, 'westeurope', SUB);
  });
  afterEach(() => {
    expect(emulator!.violations()).toEqual([]);
  });
}

/** ARM ids of resources in the test resource group. */
export const armIds = {
  nsg: (name: string) =>
    `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/${name}`,
  account: (name: string) =>
    `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${name}`,
  vnet: (name: string) =>
    `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/${name}`,
};

export async function startEmulator(): Promise<ArmEmulator> {
  return startArmEmulator({ subscriptionId: SUB, lroPolls: 1 });
}

/**
 * Points the exported handlers at the emulator, as the bot's identity, with in-memory tickets and audit.
 * `policies` go into the bot's ARM pipeline after the emulator's (to time or rewrite what the bot sees).
 */
export function botOnEmulator(emulator: ArmEmulator, policy = policyYaml(), policies: AdditionalPolicyConfig[] = []) {
  const tickets = new MemoryTicketSink();
  const audit = new MemoryAuditStore();
  const arm = armClientOptions(emulator, BOT);
  const bot = configureBot({
    env: { REFLEX_POLICY: policy, REFLEX_SUBSCRIPTION_IDS: SUB },
    // Emulator LROs finish on the second poll (lroPolls 1): no need to wait the SDK's default 2 s between polls.
    connection: { ...arm, additionalPolicies: [...arm.additionalPolicies, ...policies], pollIntervalMs: 10 },
    tickets,
    audit,
  });
  return { bot, tickets, audit };
}

export function context(name = 'reflexEvents'): InvocationContext {
  return new InvocationContext({
    invocationId: `inv-${Math.random().toString(36).slice(2)}`,
    functionName: name,
    logHandler: () => {},
  });
}

/** Poll quickly when arranging resources through long-running operations. */
export const FAST_LRO = { updateIntervalInMs: 10 };

export const WRITES = new Set(['PUT', 'PATCH', 'DELETE', 'POST']);

/** Writes the bot made (requests after `from` in the call log, by the bot's principal). */
export function botWrites(emulator: ArmEmulator) {
  return emulator.calls().filter((c) => WRITES.has(c.method) && c.principal.oid === BOT.oid && !c.fault);
}

/** Calls the manual HTTP function the way the Functions host would, with a JSON body. */
export async function manual(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpResponseInit> {
  return reflexManual(
    new HttpRequest({
      method: 'POST',
      url: 'https://reflex.example/api/manual',
      headers,
      body: { string: JSON.stringify(body) },
    }),
    context('reflexManual'),
  );
}

/** An inbound Allow rule: TCP from any source port to any destination, the rest as given. */
export const inbound = (name: string, priority: number, rest: Partial<SecurityRule> = {}): SecurityRule => ({
  name,
  priority,
  direction: 'Inbound',
  access: 'Allow',
  protocol: 'Tcp',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  ...rest,
});

/** An NSG with `securityRules`, written by a person; the Event Grid event of that write. */
export async function nsgWith(emulator: ArmEmulator, name: string, securityRules: SecurityRule[]) {
  await humanClients(emulator).network.networkSecurityGroups.createOrUpdate(
    RG,
    name,
    { location: 'westeurope', securityRules },
    FAST_LRO,
  );
  return emulator.events().at(-1)!;
}
