import type { NetworkSecurityGroup, SecurityRule } from '@azure/arm-network';
import { type FirewallPosture, type IngressRule, ResourceTypes, type Step } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '../src/arm/clients.js';
import { applyNsgSteps } from '../src/network/fixNsg.js';
import { rereadNsg, writeSettled } from '../src/network/verifyNsg.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const ref = {
  cloud: 'azure' as const,
  partition: 'AzureCloud',
  account: SUB,
  region: 'westeurope',
  type: ResourceTypes.nsg,
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg`,
  name: 'nsg',
};

const open = (id: string, priority: number): IngressRule => ({
  id,
  direction: 'inbound',
  access: 'allow',
  protocol: 'tcp',
  ports: [{ from: 22, to: 22 }],
  sources: [{ kind: 'any', value: '*' }],
  priority,
});

const posture = (): FirewallPosture => ({ kind: 'firewall', ref, rules: [open('a', 100), open('b', 110)], tags: {} });

const deleting = (id: string, ...more: string[]): Step => ({
  id: `r.${id}`,
  rule: 'openIngress',
  fix: { type: 'revoke-ingress', changes: [id, ...more].map((n) => ({ before: open(n, 100), after: [] })) },
  summary: `delete ${id}`,
  calls: [],
});

const nsg = (provisioningState: string, rules: SecurityRule[] = []): NetworkSecurityGroup => ({
  location: 'westeurope',
  provisioningState: provisioningState as NetworkSecurityGroup['provisioningState'],
  securityRules: rules,
});

/** ARM as a script: every call lands in `log`; the operations named in `failing` end Failed. */
function fakeArm(reads: NetworkSecurityGroup[], failing = new Set<string>()) {
  const log: string[] = [];
  const end = async (what: string, name: string) => {
    log.push(`${what} ${name}`);
    if (failing.has(name)) throw new Error(`${name}: the long-running operation has failed`);
  };
  const poller = (name: string) => ({
    submitted: async () => void log.push(`send ${name}`),
    poll: () => end('poll', name),
    pollUntilDone: () => end('wait', name),
  });
  const clients = {
    subscriptionId: SUB,
    lro: {},
    network: {
      securityRules: {
        get: async (_g: string, _n: string, name: string) => ({ name, sourceAddressPrefix: '*' }),
        delete: (_g: string, _n: string, name: string) => poller(name),
      },
      networkSecurityGroups: {
        get: async () => {
          log.push('get');
          return reads.shift()!;
        },
      },
    },
  } as unknown as ArmClients;
  return { clients, log };
}

describe('NSG rule writes and their verification', () => {
  it('each write waits for the one before; the last is left to the verifying GET (no poll when it shows it done)', async () => {
    const { clients, log } = fakeArm([nsg('Succeeded')]);
    const p = posture();
    const out = await applyNsgSteps(clients, [deleting('a'), deleting('b')], p);
    expect(out.map((s) => s.ok)).toEqual([true, true]);
    expect(log).toEqual(['send a', 'wait a', 'send b']);
    const after = await rereadNsg(clients, ref, p);
    expect(after?.rules).toEqual([]);
    expect(log.slice(3)).toEqual(['get']);
  });

  it('an operation that ends Failed fails its own step; within a step, no write follows it', async () => {
    const { clients, log } = fakeArm([], new Set(['a']));
    const out = await applyNsgSteps(clients, [deleting('a'), deleting('b')], posture());
    expect(out.map((s) => s.ok)).toEqual([false, true]);

    const one = fakeArm([], new Set(['a']));
    const [step] = await applyNsgSteps(one.clients, [deleting('a', 'b')], posture());
    expect(step?.ok).toBe(false);
    expect(one.log).toEqual(['send a', 'wait a']);
    expect(log).toEqual(['send a', 'wait a', 'send b']);
  });

  it('a GET that shows the rule still there waits for the operation and reads again', async () => {
    const { clients, log } = fakeArm([
      nsg('Succeeded', [{ name: 'b', provisioningState: 'Deleting' }]),
      nsg('Succeeded'),
    ]);
    const p = posture();
    await applyNsgSteps(clients, [deleting('b')], p);
    expect((await rereadNsg(clients, ref, p))?.rules).toEqual([]);
    expect(log).toEqual(['send b', 'get', 'wait b', 'get']);
  });

  it('a Failed operation fails the verifying read when the GET shows the rule still there', async () => {
    const { clients } = fakeArm([nsg('Succeeded', [{ name: 'b', provisioningState: 'Deleting' }])], new Set(['b']));
    const p = posture();
    await applyNsgSteps(clients, [deleting('b')], p);
    await expect(rereadNsg(clients, ref, p)).rejects.toThrow('b: the long-running operation has failed');
  });

  it('settled means: the NSG Succeeded, a deleted rule absent, a written rule Succeeded with the written content', () => {
    const rule: SecurityRule = {
      access: 'Allow',
      direction: 'Inbound',
      priority: 100,
      sourceAddressPrefix: '10.0.0.0/8',
    };
    const update = { op: 'update' as const, name: 'web', before: open('web', 100), rule };
    const shown = (state: string, r: SecurityRule = rule) =>
      nsg('Succeeded', [{ ...r, name: 'web', provisioningState: state as SecurityRule['provisioningState'] }]);
    expect(writeSettled(shown('Succeeded'), update)).toBe(true);
    expect(writeSettled(shown('Updating'), update)).toBe(false);
    expect(writeSettled(shown('Succeeded', { ...rule, sourceAddressPrefix: '*' }), update)).toBe(false);
    expect(writeSettled({ ...shown('Succeeded'), provisioningState: 'Updating' }, update)).toBe(false);
    const del = { op: 'delete' as const, name: 'WEB', before: open('web', 100) };
    expect(writeSettled(nsg('Succeeded'), del)).toBe(true);
    expect(writeSettled(shown('Deleting'), del)).toBe(false);
  });
});
