import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ArmEmulator, armClientOptions, startArmEmulator } from '../src/arm/index.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const POLL = { updateIntervalInMs: 5 };

let arm: ArmEmulator;
let storage: StorageManagementClient;

beforeAll(async () => {
  arm = await startArmEmulator({ subscriptionId: SUB, pageSize: 2 });
  const o = armClientOptions(arm);
  storage = new StorageManagementClient(o.credential, SUB, {
    endpoint: o.endpoint,
    additionalPolicies: o.additionalPolicies,
  });
});
afterAll(() => arm.stop());
beforeEach(() => {
  arm.reset();
  arm.seedResourceGroup('rg-data', 'westeurope');
});
afterEach(() => {
  // Every exchange in every test is checked against Microsoft's REST spec.
  expect(arm.violations()).toEqual([]);
});

async function createAccount(name: string) {
  return storage.storageAccounts.create(
    'rg-data',
    name,
    // minimumTlsVersion is sent on purpose: see the SDK quirk test below.
    {
      location: 'westeurope',
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      allowBlobPublicAccess: true,
      minimumTlsVersion: 'TLS1_0',
    },
    POLL,
  );
}

describe('ARM emulator: Microsoft.Storage through the real StorageManagementClient', () => {
  it('creates an account as a long-running operation (202 + Location, polled) and reads it back', async () => {
    const account = await createAccount('reflexdata01');
    expect(account.name).toBe('reflexdata01');
    expect(account.provisioningState).toBe('Succeeded');
    expect(account.primaryEndpoints?.blob).toBe('https://reflexdata01.blob.core.windows.net/');
    const put = arm.calls().find((c) => c.method === 'PUT')!;
    expect(put.status).toBe(202);
    expect(arm.calls().some((c) => c.path.includes('/operationResults/') && c.status === 202)).toBe(true);

    const got = await storage.storageAccounts.getProperties('rg-data', 'reflexdata01');
    expect(got.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/reflexdata01`,
    );
    expect(got.allowBlobPublicAccess).toBe(true);
    expect(got.enableHttpsTrafficOnly).toBe(true);
  });

  it('PATCH merges properties and keeps the rest', async () => {
    await createAccount('reflexdata02');
    const updated = await storage.storageAccounts.update('rg-data', 'reflexdata02', {
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
      tags: { owner: 'reflex' },
    });
    expect(updated.allowBlobPublicAccess).toBe(false);
    expect(updated.minimumTlsVersion).toBe('TLS1_2');
    expect(updated.tags).toEqual({ owner: 'reflex' });
    expect(updated.sku?.name).toBe('Standard_LRS');
    const again = await storage.storageAccounts.getProperties('RG-DATA', 'reflexdata02');
    expect(again.allowBlobPublicAccess).toBe(false);
  });

  it('sets and resets a container publicAccess, lists containers, deletes', async () => {
    await createAccount('reflexdata03');
    const created = await storage.blobContainers.create('rg-data', 'reflexdata03', 'public', {
      publicAccess: 'Container',
    });
    expect(created.publicAccess).toBe('Container');
    expect(arm.calls().at(-1)?.status).toBe(201);
    const patched = await storage.blobContainers.update('rg-data', 'reflexdata03', 'public', { publicAccess: 'None' });
    expect(patched.publicAccess).toBe('None');
    expect((await storage.blobContainers.get('rg-data', 'reflexdata03', 'public')).publicAccess).toBe('None');

    for (const name of ['logs1', 'logs2', 'logs3', 'logs4'])
      await storage.blobContainers.create('rg-data', 'reflexdata03', name, {});
    const names: string[] = [];
    for await (const c of storage.blobContainers.list('rg-data', 'reflexdata03')) names.push(c.name!);
    expect(names.sort()).toEqual(['logs1', 'logs2', 'logs3', 'logs4', 'public']);
    // pageSize 2: five containers take three pages, linked by nextLink.
    expect(arm.calls().filter((c) => c.operationId === 'BlobContainers_List')).toHaveLength(3);

    await storage.blobContainers.delete('rg-data', 'reflexdata03', 'logs1');
    await expect(storage.blobContainers.get('rg-data', 'reflexdata03', 'logs1')).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('shows an @azure/arm-storage 20.0.0 quirk: allowBlobPublicAccess alone is not sent', async () => {
    // The SDK's serializer checks "AllowBlobPublicAccess"/"EnableHttpsTrafficOnly" (wrong case) to decide
    // whether to send `properties`, so a PATCH with only those fields goes out as `{}`.
    await createAccount('reflexquirk1');
    await storage.storageAccounts.update('rg-data', 'reflexquirk1', { allowBlobPublicAccess: false });
    expect(arm.calls().at(-1)?.requestBody).toEqual({});
    expect((await storage.storageAccounts.getProperties('rg-data', 'reflexquirk1')).allowBlobPublicAccess).toBe(true);
    // Adding a correctly-cased property (minimumTlsVersion) makes the SDK send all of them.
    await storage.storageAccounts.update('rg-data', 'reflexquirk1', {
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
    });
    expect(arm.calls().at(-1)?.requestBody).toEqual({
      properties: { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' },
    });
    expect((await storage.storageAccounts.getProperties('rg-data', 'reflexquirk1')).allowBlobPublicAccess).toBe(false);
  });

  it('refuses container public access when the account disallows it, as Azure does', async () => {
    await createAccount('reflexdata04');
    await storage.storageAccounts.update('rg-data', 'reflexdata04', {
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
    });
    await expect(
      storage.blobContainers.create('rg-data', 'reflexdata04', 'leaky', { publicAccess: 'Blob' }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'PublicAccessNotPermitted' });
  });

  it('gets and sets blob service properties at blobServices/default', async () => {
    await createAccount('reflexdata05');
    const svc = await storage.blobServices.getServiceProperties('rg-data', 'reflexdata05');
    expect(svc.name).toBe('default');
    const set = await storage.blobServices.setServiceProperties('rg-data', 'reflexdata05', {
      deleteRetentionPolicy: { enabled: true, days: 7 },
      isVersioningEnabled: true,
    });
    expect(set.deleteRetentionPolicy?.days).toBe(7);
    expect((await storage.blobServices.getServiceProperties('rg-data', 'reflexdata05')).isVersioningEnabled).toBe(true);
  });

  it('lists accounts by resource group and subscription, paging with nextLink', async () => {
    arm.seedResourceGroup('rg-other');
    for (const n of ['reflexlist01', 'reflexlist02', 'reflexlist03']) await createAccount(n);
    const byGroup: string[] = [];
    for await (const a of storage.storageAccounts.listByResourceGroup('rg-data')) byGroup.push(a.name!);
    expect(byGroup.sort()).toEqual(['reflexlist01', 'reflexlist02', 'reflexlist03']);
    const all: string[] = [];
    for await (const a of storage.storageAccounts.list()) all.push(a.name!);
    expect(all).toHaveLength(3);
    expect(arm.calls().some((c) => c.url.includes('skipToken'))).toBe(true);
  });

  it('answers a missing account with an ARM 404 body', async () => {
    const err = await storage.storageAccounts.getProperties('rg-data', 'nosuchaccount').catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    const body = arm.calls().at(-1)?.responseBody as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ResourceNotFound');
    expect(body.error.message).toMatch(/nosuchaccount/);
  });

  it('answers a missing resource group and a missing parent', async () => {
    await expect(storage.storageAccounts.getProperties('rg-missing', 'reflexdata06')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
    await expect(storage.blobContainers.get('rg-data', 'noaccount', 'logs')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ParentResourceNotFound',
    });
  });

  it('retries through 429 (Retry-After) and 500 to success', async () => {
    await createAccount('reflexdata07');
    arm.injectFault('throttle', 2, { method: 'GET' });
    arm.injectFault('error', 1, { method: 'GET' });
    const got = await storage.storageAccounts.getProperties('rg-data', 'reflexdata07');
    expect(got.name).toBe('reflexdata07');
    const statuses = arm
      .calls()
      .filter((c) => c.method === 'GET')
      .map((c) => c.status);
    expect(statuses.slice(-4)).toEqual([429, 429, 500, 200]);
    expect(arm.calls().at(-2)?.fault).toBe('error');
  });
});
