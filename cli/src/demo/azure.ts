import { NetworkManagementClient, type SecurityRule } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import type { ResourceRef } from '@reflex/core';
import { refFromArmId } from '@reflex/core';
import { type ArmEmulator, armClientOptions, type EventGridEvent } from '@reflex/sim';

export const SUB = '5eed0000-0000-4000-8000-00000000de70';
export const RG = 'rg-reflex-demo';
export const LOCATION = 'westeurope';
export const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.OperationalInsights/workspaces/reflex-logs`;
/** The bot's managed identity, as the emulator reads it from the bearer token. */
export const BOT = { oid: '0b0b0b0b-0000-4000-8000-00000000b07b', appid: '0b0b0b0b-0000-4000-8000-0000000a9919' };
/** The person who misconfigures things. */
export const ALICE = { oid: 'a11ce000-0000-4000-8000-0000000a11ce', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' };
/** The responder at the CLI (undo, contain). */
export const RESPONDER = { oid: '7e500000-0000-4000-8000-00000000a7e5', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' };

export interface AzureEstate {
  publicAccount: ResourceRef;
  containerAccount: ResourceRef;
  container: string;
  nsg: ResourceRef;
  /** What the emulator emitted for the seeding writes, as Event Grid delivers them. */
  events: EventGridEvent[];
}

const id = (provider: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/${provider}/${name}`;

/** Clients acting as `principal`, through the real SDK, against the emulator. */
export function armClients(emulator: ArmEmulator, principal: { oid: string; appid: string }) {
  const o = armClientOptions(emulator, principal);
  const opts = { endpoint: o.endpoint, additionalPolicies: o.additionalPolicies };
  return {
    storage: new StorageManagementClient(o.credential, SUB, opts),
    network: new NetworkManagementClient(o.credential, SUB, opts),
  };
}

const FAST = { updateIntervalInMs: 10 };

const inbound = (name: string, priority: number, port: string, source: string): SecurityRule => ({
  name,
  priority,
  direction: 'Inbound',
  access: 'Allow',
  protocol: 'Tcp',
  sourcePortRange: '*',
  sourceAddressPrefix: source,
  destinationAddressPrefix: '*',
  destinationPortRange: port,
});

/** The misconfigured Azure estate, written by a person through the real SDK; the emulator emits the events. */
export async function seedAzure(emulator: ArmEmulator): Promise<AzureEstate> {
  emulator.seedResourceGroup(RG, LOCATION, SUB);
  const human = armClients(emulator, ALICE);
  const from = emulator.events().length;
  await Promise.all([
    human.storage.storageAccounts.create(
      RG,
      'stdemopublic',
      {
        location: LOCATION,
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        allowBlobPublicAccess: true,
        enableHttpsTrafficOnly: false,
        minimumTlsVersion: 'TLS1_0',
      },
      FAST,
    ),
    human.storage.storageAccounts
      .create(
        RG,
        'stdemoshare',
        {
          location: LOCATION,
          sku: { name: 'Standard_LRS' },
          kind: 'StorageV2',
          allowBlobPublicAccess: true,
          minimumTlsVersion: 'TLS1_2',
        },
        FAST,
      )
      .then(() =>
        human.storage.blobContainers.create(RG, 'stdemoshare', 'public-assets', { publicAccess: 'Container' }),
      ),
    human.network.networkSecurityGroups.createOrUpdate(
      RG,
      'nsg-demo',
      {
        location: LOCATION,
        securityRules: [inbound('allow-rdp', 100, '3389', 'Internet'), inbound('allow-ssh', 110, '22', '*')],
      },
      FAST,
    ),
  ]);
  return {
    publicAccount: refFromArmId(id('Microsoft.Storage/storageAccounts', 'stdemopublic')),
    containerAccount: refFromArmId(id('Microsoft.Storage/storageAccounts', 'stdemoshare')),
    container: 'public-assets',
    nsg: refFromArmId(id('Microsoft.Network/networkSecurityGroups', 'nsg-demo')),
    events: emulator
      .events()
      .slice(from)
      .map((e) => e.eventGrid),
  };
}
