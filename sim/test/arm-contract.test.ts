import { request } from 'node:https';
import { NetworkManagementClient } from '@azure/arm-network';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ArmEmulator, armClientOptions, startArmEmulator } from '../src/arm/index.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const POLL = { updateIntervalInMs: 5 };

let arm: ArmEmulator;
let network: NetworkManagementClient;

/** A raw HTTPS call that trusts exactly the emulator's certificate. */
function call(method: string, path: string, body?: unknown, trust = true) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: unknown }>((resolve, reject) => {
    const req = request(
      `${arm.endpoint}${path}`,
      {
        method,
        ...(trust ? { ca: arm.ca } : {}),
        headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  arm = await startArmEmulator({ subscriptionId: SUB });
  const o = armClientOptions(arm);
  network = new NetworkManagementClient(o.credential, SUB, {
    endpoint: o.endpoint,
    additionalPolicies: o.additionalPolicies,
  });
});
afterAll(() => arm.stop());
beforeEach(() => {
  arm.reset();
  arm.seedResourceGroup('rg-c', 'westeurope');
});
afterEach(() => {
  expect(arm.violations()).toEqual([]);
});

const NSG = `/subscriptions/${SUB}/resourceGroups/rg-c/providers/Microsoft.Network/networkSecurityGroups/nsg1`;

describe('ARM emulator: TLS, ARM errors and contract validation', () => {
  it('serves TLS that verifies against its own CA and is refused without it', async () => {
    expect(arm.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(arm.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    await expect(
      call('GET', `/subscriptions/${SUB}/resourcegroups/rg-c?api-version=2024-03-01`, undefined, false),
    ).rejects.toThrow(/self-signed|certificate/i);
    const ok = await call('GET', `/subscriptions/${SUB}/resourcegroups/RG-C?api-version=2024-03-01`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      name: 'rg-c',
      location: 'westeurope',
      properties: { provisioningState: 'Succeeded' },
    });
  });

  it('initialises oav LiveValidator in a few seconds at most', () => {
    expect(arm.validatorInitMs).toBeGreaterThan(0);
    expect(arm.validatorInitMs).toBeLessThan(5000);
  });

  it('creates resource groups (201 then 200) and answers ResourceGroupNotFound', async () => {
    const path = `/subscriptions/${SUB}/resourcegroups/rg-new?api-version=2024-03-01`;
    expect((await call('PUT', path, { location: 'northeurope' })).status).toBe(201);
    expect((await call('PUT', path, { location: 'northeurope', tags: { a: 'b' } })).status).toBe(200);
    const missing = await call('GET', `/subscriptions/${SUB}/resourcegroups/rg-none?api-version=2024-03-01`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'ResourceGroupNotFound' } } });
  });

  it('requires api-version, and only the one the spec supports for that type', async () => {
    const missing = await call('GET', NSG);
    expect(missing).toMatchObject({ status: 400, body: { error: { code: 'MissingApiVersionParameter' } } });
    const bad = await call('GET', `${NSG}?api-version=yesterday`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'InvalidApiVersionParameter' } } });
    const old = await call('GET', `${NSG}?api-version=2019-02-01`);
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({ error: { code: 'NoRegisteredProviderFound' } });
    expect(JSON.stringify(old.body)).toContain('2026-01-01');
  });

  it('flags a request body that breaks the spec (string priority) and refuses it without acting', async () => {
    await network.networkSecurityGroups.createOrUpdate('rg-c', 'nsg1', { location: 'westeurope' }, POLL);
    const err = await network.securityRules
      .createOrUpdate(
        'rg-c',
        'nsg1',
        'bad-rule',
        {
          protocol: 'Tcp',
          access: 'Allow',
          direction: 'Inbound',
          sourceAddressPrefix: '*',
          destinationAddressPrefix: '*',
          sourcePortRange: '*',
          destinationPortRange: '22',
          priority: '100' as unknown as number,
        },
        POLL,
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 400, code: 'InvalidRequestContent' });
    expect(arm.violations()).toEqual([
      expect.objectContaining({
        source: 'request',
        operationId: 'SecurityRules_CreateOrUpdate',
        code: 'INVALID_TYPE',
        paths: ['/properties/priority'],
      }),
    ]);
    expect((await network.networkSecurityGroups.get('rg-c', 'nsg1')).securityRules).toEqual([]);
    arm.clearViolations();
  });

  it('flags a response the spec does not allow (an injected field) and fails the call loudly', async () => {
    await network.networkSecurityGroups.createOrUpdate('rg-c', 'nsg1', { location: 'westeurope' }, POLL);
    arm.tamperNextResponse((body) => ({ ...(body as object), surprise: true }));
    await expect(network.networkSecurityGroups.get('rg-c', 'nsg1')).rejects.toMatchObject({
      statusCode: 501,
      code: 'EmulatorContractViolation',
    });
    expect(arm.violations()).toEqual([
      expect.objectContaining({
        source: 'response',
        operationId: 'NetworkSecurityGroups_Get',
        code: 'OBJECT_ADDITIONAL_PROPERTIES',
        paths: ['/surprise'],
      }),
    ]);
    arm.clearViolations();
  });

  it('flags geoPriorityReplicationStatus, which this storage.json does not define', async () => {
    const account = `/subscriptions/${SUB}/resourceGroups/rg-c/providers/Microsoft.Storage/storageAccounts/gapcheck01`;
    arm.seedResource(
      account,
      { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' } },
      '2025-08-01',
    );
    arm.tamperNextResponse((body) => {
      const b = body as { properties: Record<string, unknown> };
      return { ...b, properties: { ...b.properties, geoPriorityReplicationStatus: { isBlobEnabled: true } } };
    });
    expect((await call('GET', `${account}?api-version=2025-08-01`)).status).toBe(501);
    expect(arm.violations().map((v) => [v.code, v.paths])).toEqual([
      ['OBJECT_ADDITIONAL_PROPERTIES', ['/properties/geoPriorityReplicationStatus']],
    ]);
    arm.clearViolations();
  });

  it('injects seeded faults deterministically, with ARM error bodies and Retry-After', async () => {
    const run = async () => {
      arm.setFaults({ throttleRate: 0.3, errorRate: 0.2, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push((await call('GET', `/subscriptions/${SUB}/resourcegroups/rg-c?api-version=2024-03-01`)).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(first).toContain(429);
    expect(first).toContain(200);
    const throttled = arm.calls().find((c) => c.status === 429)!;
    expect(throttled.responseBody).toMatchObject({ error: { code: 'TooManyRequests' } });
    arm.setFaults({ latencyMs: 50 });
    const t0 = Date.now();
    await call('GET', `/subscriptions/${SUB}/resourcegroups/rg-c?api-version=2024-03-01`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });
});
