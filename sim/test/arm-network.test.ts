import { NetworkManagementClient } from '@azure/arm-network';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ArmEmulator, armClientOptions, startArmEmulator } from '../src/arm/index.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const POLL = { updateIntervalInMs: 5 };
const NSG_ID = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/web-nsg`;

let arm: ArmEmulator;
let network: NetworkManagementClient;

beforeAll(async () => {
  arm = await startArmEmulator({ subscriptionId: SUB, pageSize: 2 });
  const o = armClientOptions(arm);
  network = new NetworkManagementClient(o.credential, SUB, {
    endpoint: o.endpoint,
    additionalPolicies: o.additionalPolicies,
  });
});
afterAll(() => arm.stop());
beforeEach(() => {
  arm.reset();
  arm.seedResourceGroup('rg-net', 'westeurope');
});
afterEach(() => {
  expect(arm.violations()).toEqual([]);
});

const rule = (priority: number, port: string, source: string, access: 'Allow' | 'Deny' = 'Allow') => ({
  protocol: 'Tcp' as const,
  sourcePortRange: '*',
  destinationPortRange: port,
  sourceAddressPrefix: source,
  destinationAddressPrefix: '*',
  access,
  priority,
  direction: 'Inbound' as const,
});

async function createNsg() {
  return network.networkSecurityGroups.createOrUpdate(
    'rg-net',
    'web-nsg',
    {
      location: 'westeurope',
      securityRules: [
        { name: 'rdp-from-internet', ...rule(100, '3389', 'Internet') },
        { name: 'ssh-from-any', ...rule(110, '22', '*') },
        { name: 'pg-private', ...rule(120, '5432', '10.0.0.0/8') },
      ],
    },
    POLL,
  );
}

describe('ARM emulator: Microsoft.Network through the real NetworkManagementClient', () => {
  it('creates an NSG as an LRO (201 + Azure-AsyncOperation) with its rules and the six default rules', async () => {
    const nsg = await createNsg();
    expect(nsg.id).toBe(NSG_ID);
    expect(nsg.etag).toMatch(/^W\/"/);
    expect(nsg.provisioningState).toBe('Succeeded');
    expect(nsg.securityRules?.map((r) => r.name).sort()).toEqual(['pg-private', 'rdp-from-internet', 'ssh-from-any']);
    expect(nsg.defaultSecurityRules?.map((r) => r.name)).toEqual([
      'AllowVnetInBound',
      'AllowAzureLoadBalancerInBound',
      'DenyAllInBound',
      'AllowVnetOutBound',
      'AllowInternetOutBound',
      'DenyAllOutBound',
    ]);
    const put = arm.calls().find((c) => c.method === 'PUT')!;
    expect(put.status).toBe(201);
    const polls = arm.calls().filter((c) => c.path.includes('/operations/'));
    expect(polls.map((c) => (c.responseBody as { status: string }).status)).toEqual(['InProgress', 'Succeeded']);
  });

  it('gets a rule, deletes it (202 + Location), and the parent NSG reflects it', async () => {
    await createNsg();
    const ssh = await network.securityRules.get('rg-net', 'web-nsg', 'ssh-from-any');
    expect(ssh.sourceAddressPrefix).toBe('*');
    expect(ssh.id).toBe(`${NSG_ID}/securityRules/ssh-from-any`);

    await network.securityRules.delete('rg-net', 'web-nsg', 'ssh-from-any', POLL);
    expect(arm.calls().find((c) => c.method === 'DELETE')?.status).toBe(202);
    const after = await network.networkSecurityGroups.get('rg-net', 'web-nsg');
    expect(after.securityRules?.map((r) => r.name).sort()).toEqual(['pg-private', 'rdp-from-internet']);
    await expect(network.securityRules.get('rg-net', 'web-nsg', 'ssh-from-any')).rejects.toMatchObject({
      statusCode: 404,
    });
    // Deleting what is gone is not an error: 204, as the spec declares.
    await network.securityRules.delete('rg-net', 'web-nsg', 'ssh-from-any', POLL);
    expect(arm.calls().at(-1)?.status).toBe(204);
  });

  it('PUT of a rule adds it to the parent; list pages with nextLink', async () => {
    await createNsg();
    await network.securityRules.createOrUpdate(
      'rg-net',
      'web-nsg',
      'https-narrow',
      rule(130, '443', '203.0.113.0/24'),
      POLL,
    );
    const nsg = await network.networkSecurityGroups.get('rg-net', 'web-nsg');
    expect(nsg.securityRules?.find((r) => r.name === 'https-narrow')?.sourceAddressPrefix).toBe('203.0.113.0/24');
    const names: string[] = [];
    for await (const r of network.securityRules.list('rg-net', 'web-nsg')) names.push(r.name!);
    expect(names).toHaveLength(4);
    expect(arm.calls().filter((c) => c.operationId === 'SecurityRules_List')).toHaveLength(2);
  });

  it('a rule under a missing NSG is ParentResourceNotFound', async () => {
    await expect(network.securityRules.get('rg-net', 'nope-nsg', 'r1')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ParentResourceNotFound',
    });
  });

  it('creates a VNet flow log on a network watcher', async () => {
    await network.networkWatchers.createOrUpdate('rg-net', 'NetworkWatcher_westeurope', { location: 'westeurope' });
    const vnet = await network.virtualNetworks.createOrUpdate(
      'rg-net',
      'app-vnet',
      { location: 'westeurope', addressSpace: { addressPrefixes: ['10.1.0.0/16'] } },
      POLL,
    );
    const storageId = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Storage/storageAccounts/flowlogs01`;
    const flowLog = await network.flowLogs.createOrUpdate(
      'rg-net',
      'NetworkWatcher_westeurope',
      'app-vnet-flowlog',
      {
        location: 'westeurope',
        targetResourceId: vnet.id!,
        storageId,
        enabled: true,
        retentionPolicy: { days: 30, enabled: true },
        format: { type: 'JSON', version: 2 },
      },
      POLL,
    );
    expect(flowLog.provisioningState).toBe('Succeeded');
    expect(flowLog.targetResourceGuid).toBe(vnet.resourceGuid);
    const got = await network.flowLogs.get('rg-net', 'NetworkWatcher_westeurope', 'app-vnet-flowlog');
    expect(got.enabled).toBe(true);
    expect(got.storageId).toBe(storageId);
  });
});
