/**
 * What the Azure e2e harness (test/e2e/azure/harness.ts) and the bench world (test/bench/azureWorld.ts) share: the
 * subscription, the principals, and a person's ARM clients for arranging the estate. Each keeps what differs: e2e
 * runs the emulator in-process with spec validation; the bench forks it (validation off) and times the bot's calls.
 */
import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { armClientOptions } from '@reflex/sim';

export const SUB = '11111111-2222-3333-4444-555555555555';
/** The bot's managed identity, as the emulator sees it in the bearer token. */
export const BOT = { oid: '0b0b0b0b-0000-4000-8000-00000000b07b', appid: '0b0b0b0b-0000-4000-8000-0000000a9919' };
/** A human making the misconfigurations. */
export const ALICE = { oid: 'a11ce000-0000-4000-8000-0000000a11ce', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' };

/** Clients acting as a person, for arranging the misconfigured estate through the real SDK. */
export function humanClients(emulator: { endpoint: string; ca: string }) {
  const o = armClientOptions(emulator, ALICE);
  const opts = { endpoint: o.endpoint, additionalPolicies: o.additionalPolicies };
  return {
    storage: new StorageManagementClient(o.credential, SUB, opts),
    network: new NetworkManagementClient(o.credential, SUB, opts),
    monitor: new MonitorClient(o.credential, SUB, opts),
  };
}
