import { ArmClientCache, isTransientArmError, statusOf } from '@reflex/azure';
import { type ArmEmulator, armClientOptions } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import { BOT, botWrites, FAST_LRO, humanClients, manual, RG, SUB, useEmulator } from './harness.js';

/** ARM answers without an ARM error document keep their HTTP status (issue 18, item 12). */
let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

/** A gateway in front of ARM answering this many requests with an empty 503 (what a load balancer sends). */
function gateway(failures: number) {
  let left = failures;
  type Next = (request: unknown) => Promise<{ status: number; bodyAsText?: string | null; headers: unknown }>;
  return {
    position: 'perRetry' as const,
    policy: {
      name: 'testGatewayEmpty503',
      async sendRequest(request: unknown, next: Next) {
        const response = await next(request);
        // ARM's answer, replaced by the gateway's: status 503, no body (its headers stay real pipeline headers).
        if (left-- > 0) return { ...response, status: 503, bodyAsText: '' };
        return response;
      },
    },
  };
}

function clients(extra: unknown[] = [], maxRetries = 0) {
  const o = armClientOptions(emulator, BOT);
  return new ArmClientCache({
    endpoint: o.endpoint,
    credential: o.credential,
    additionalPolicies: [...o.additionalPolicies, ...(extra as never[])],
    maxRetries,
  }).for(SUB);
}

describe('ARM errors without a body', () => {
  it('an empty 503 from a gateway keeps its status and is transient (not "TypeError reading \'error\'")', async () => {
    await humanClients(emulator).storage.storageAccounts.create(
      RG,
      'stgateway',
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' },
      FAST_LRO,
    );
    await humanClients(emulator).network.networkSecurityGroups.createOrUpdate(RG, 'nsg-gw', { location: 'westeurope' });
    // @azure/arm-storage read `body.error` of the empty answer (a TypeError, status lost); arm-network kept it.
    for (const call of [
      (c: ReturnType<typeof clients>) => c.storage.storageAccounts.getProperties(RG, 'stgateway'),
      (c: ReturnType<typeof clients>) => c.network.networkSecurityGroups.get(RG, 'nsg-gw'),
    ]) {
      const err = await call(clients([gateway(1)])).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(TypeError);
      expect(statusOf(err)).toBe(503);
      expect(isTransientArmError(err)).toBe(true);
    }
    // The SDK's own retries still apply first: one empty 503, then ARM's answer.
    const account = await clients([gateway(1)], 1).storage.storageAccounts.getProperties(RG, 'stgateway');
    expect(account.name).toBe('stgateway');
  });

  it('a 1 MB NSG name, or one no NSG can have: refused before any call as a typed error, with a bounded reason', async () => {
    const nsgId = (name: string) =>
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
    const before = emulator.calls().length;
    const huge = await manual({ action: 'remediate', resource: nsgId('n'.repeat(1_000_000)), dryRun: true });
    expect(huge.status).toBe(400);
    expect(JSON.stringify(huge.jsonBody)).toMatch(/at most 2048 characters/);
    expect(JSON.stringify(huge.jsonBody).length).toBeLessThan(2_000);
    // Within the id bound, but past the NSG naming rules (1-80 characters): the provider's rule names the problem.
    const long = await manual({ action: 'remediate', resource: nsgId('n'.repeat(81)), dryRun: true });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.jsonBody)).toMatch(/networkSecurityGroups name: expected 1-80/);
    const odd = await manual({ action: 'remediate', resource: nsgId('bad$name'), dryRun: true });
    expect(odd.status).toBe(400);
    expect(emulator.calls().length).toBe(before);
    expect(botWrites(emulator)).toEqual([]);
  });
});
