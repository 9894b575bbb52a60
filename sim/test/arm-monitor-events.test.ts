import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ArmEmulator, type ArmEvent, armClientOptions, startArmEmulator } from '../src/arm/index.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const POLL = { updateIntervalInMs: 5 };
const ACCOUNT_ID = `/subscriptions/${SUB}/resourceGroups/rg-mon/providers/Microsoft.Storage/storageAccounts/reflexmon01`;
const BOT = { oid: '6f1c5b0e-1111-4a4a-9b9b-00000000b07a', appid: '7d2e9c1a-2222-4b4b-8c8c-00000000b07a' };

let arm: ArmEmulator;
let monitor: MonitorClient;
let storage: StorageManagementClient;
let botNetwork: NetworkManagementClient;

beforeAll(async () => {
  arm = await startArmEmulator({ subscriptionId: SUB });
  const o = armClientOptions(arm);
  const opts = { endpoint: o.endpoint, additionalPolicies: o.additionalPolicies };
  monitor = new MonitorClient(o.credential, SUB, opts);
  storage = new StorageManagementClient(o.credential, SUB, opts);
  // The bot's own client: its token carries the bot's managed identity.
  const bot = armClientOptions(arm, { ...BOT, principalType: 'ServicePrincipal' });
  botNetwork = new NetworkManagementClient(bot.credential, SUB, {
    endpoint: bot.endpoint,
    additionalPolicies: bot.additionalPolicies,
  });
});
afterAll(() => arm.stop());
beforeEach(async () => {
  arm.reset();
  arm.seedResourceGroup('rg-mon', 'westeurope');
  await storage.storageAccounts.create(
    'rg-mon',
    'reflexmon01',
    { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' } },
    POLL,
  );
});
afterEach(() => {
  expect(arm.violations()).toEqual([]);
});

describe('ARM emulator: Microsoft.Insights diagnosticSettings (extension resource) through MonitorClient', () => {
  it('creates, gets, lists and deletes diagnostic settings on the blob service', async () => {
    const blobService = `${ACCOUNT_ID}/blobServices/default`;
    const workspaceId = `/subscriptions/${SUB}/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/reflex-law`;
    const created = await monitor.diagnosticSettings.createOrUpdate(blobService, 'reflex-blob-logs', {
      workspaceId,
      logs: [
        { category: 'StorageRead', enabled: true },
        { category: 'StorageWrite', enabled: true },
        { category: 'StorageDelete', enabled: true },
      ],
      metrics: [{ category: 'Transaction', enabled: true }],
    });
    expect(created.id).toBe(`${blobService}/providers/Microsoft.Insights/diagnosticSettings/reflex-blob-logs`);
    const got = await monitor.diagnosticSettings.get(blobService, 'reflex-blob-logs');
    expect(got.workspaceId).toBe(workspaceId);
    expect(got.logs?.map((l) => l.category)).toEqual(['StorageRead', 'StorageWrite', 'StorageDelete']);
    const listed: string[] = [];
    for await (const d of monitor.diagnosticSettings.list(blobService)) listed.push(d.name!);
    expect(listed).toEqual(['reflex-blob-logs']);
    await monitor.diagnosticSettings.delete(blobService, 'reflex-blob-logs');
    const none: string[] = [];
    for await (const d of monitor.diagnosticSettings.list(blobService)) none.push(d.name!);
    expect(none).toEqual([]);
    // Microsoft.Insights declares its errors flat ({code, message}), and the emulator answers so.
    await expect(monitor.diagnosticSettings.get(blobService, 'reflex-blob-logs')).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('refuses diagnostic settings on a resource that does not exist', async () => {
    await expect(
      monitor.diagnosticSettings.createOrUpdate(
        `${ACCOUNT_ID.replace('reflexmon01', 'ghostacct01')}/blobServices/default`,
        'x',
        {
          workspaceId: 'w',
        },
      ),
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('ARM emulator: Event Grid resource events', () => {
  it('emits ResourceWriteSuccess for a write, in both Event Grid and CloudEvents 1.0 schemas', async () => {
    const seen: ArmEvent[] = [];
    const off = arm.onEvent((e) => seen.push(e));
    await storage.blobContainers.create('rg-mon', 'reflexmon01', 'public', { publicAccess: 'None' });
    off();
    expect(seen).toHaveLength(1);
    const { eventGrid, cloudEvent } = seen[0]!;
    const containerId = `${ACCOUNT_ID}/blobServices/default/containers/public`;
    expect(eventGrid).toMatchObject({
      subject: containerId,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      dataVersion: '2',
      metadataVersion: '1',
      topic: `/subscriptions/${SUB}`,
      data: {
        authorization: {
          scope: containerId,
          action: 'Microsoft.Storage/storageAccounts/blobServices/containers/write',
          evidence: { role: 'Owner', principalType: 'ServicePrincipal' },
        },
        resourceProvider: 'Microsoft.Storage',
        resourceUri: containerId,
        operationName: 'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        status: 'Succeeded',
        subscriptionId: SUB,
        httpRequest: { method: 'PUT', clientIpAddress: '127.0.0.1' },
      },
    });
    expect(eventGrid.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier']).toBe(
      '00000000-0000-0000-0000-0000000000b0',
    );
    expect(eventGrid.data.httpRequest.clientRequestId).toMatch(/[0-9a-f-]{36}/);
    expect(eventGrid.data.correlationId).toMatch(/[0-9a-f-]{36}/);
    expect(new Date(eventGrid.eventTime).toISOString()).toBe(eventGrid.eventTime);
    expect(cloudEvent).toEqual({
      specversion: '1.0',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      source: `/subscriptions/${SUB}`,
      subject: containerId,
      id: eventGrid.id,
      time: eventGrid.eventTime,
      datacontenttype: 'application/json',
      data: eventGrid.data,
    });
  });

  it("tells the bot's own write from a human's, by token claims or by x-reflex-principal", async () => {
    arm.seedResourceGroup('rg-net');
    await botNetwork.networkSecurityGroups.createOrUpdate('rg-net', 'nsg1', { location: 'westeurope' }, POLL);
    await botNetwork.securityRules.createOrUpdate(
      'rg-net',
      'nsg1',
      'allow-https',
      {
        protocol: 'Tcp',
        sourcePortRange: '*',
        destinationPortRange: '443',
        sourceAddressPrefix: '10.0.0.0/8',
        destinationAddressPrefix: '*',
        access: 'Allow',
        priority: 200,
        direction: 'Inbound',
      },
      POLL,
    );
    await botNetwork.securityRules.delete('rg-net', 'nsg1', 'allow-https', POLL);
    const ruleEvents = arm.events().filter((e) => e.eventGrid.subject.endsWith('/securityRules/allow-https'));
    expect(ruleEvents.map((e) => [e.eventGrid.eventType, e.eventGrid.data.operationName])).toEqual([
      ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Network/networkSecurityGroups/securityRules/write'],
      ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Network/networkSecurityGroups/securityRules/delete'],
    ]);
    for (const e of ruleEvents) {
      expect(e.eventGrid.data.claims['appid']).toBe(BOT.appid);
      expect(e.eventGrid.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier']).toBe(BOT.oid);
      expect(e.eventGrid.data.authorization.evidence.principalId).toBe(BOT.oid.replaceAll('-', ''));
    }
    // A human, named per request by header (e.g. from a raw client or a policy).
    const human = {
      oid: '9a9a9a9a-3333-4c4c-8d8d-0000000000aa',
      appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
      principalType: 'User',
    };
    await storage.blobContainers.create(
      'rg-mon',
      'reflexmon01',
      'byhuman',
      {},
      {
        requestOptions: { headers: { 'x-reflex-principal': JSON.stringify(human) } },
      },
    );
    const last = arm.events().at(-1)!;
    expect(last.eventGrid.data.claims['appid']).toBe(human.appid);
    expect(last.eventGrid.data.authorization.evidence.principalType).toBe('User');
  });

  it('emits nothing for reads, failed writes, or refused requests', async () => {
    const before = arm.events().length;
    await storage.storageAccounts.getProperties('rg-mon', 'reflexmon01');
    await storage.blobContainers
      .create('rg-mon', 'reflexmon01', 'leaky', { publicAccess: 'Blob' })
      .catch(() => undefined);
    expect(arm.events().length).toBe(before);
  });
});
