import type { SecurityRule } from '@azure/arm-network';
import { HttpRequest } from '@azure/functions';
import { reflexEvents, reflexManual } from '@reflex/azure';
import type { ArmEmulator } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import {
  BOT,
  botOnEmulator,
  botWrites,
  context,
  humanClients,
  inbound,
  nsgWith as nsgIn,
  RG,
  SUB,
  useEmulator,
} from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

async function nsgWith(name: string, securityRules: SecurityRule[]) {
  await nsgIn(emulator, name, securityRules);
  return humanClients(emulator);
}

async function ruleNames(name: string): Promise<string[]> {
  const nsg = await humanClients(emulator).network.networkSecurityGroups.get(RG, name);
  return (nsg.securityRules ?? []).map((r) => r.name!).sort();
}

describe('network security group through the real handlers', () => {
  it('removes RDP from Internet and SSH from *; keeps allow-listed 443, Deny rules and private sources', async () => {
    await nsgWith('nsg-public-web', [
      inbound('rdp', 100, { sourceAddressPrefix: 'Internet', destinationPortRange: '3389' }),
      inbound('ssh', 110, { sourceAddressPrefix: '*', destinationPortRange: '22' }),
      inbound('https', 120, { sourceAddressPrefix: '0.0.0.0/0', destinationPortRange: '443' }),
      inbound('postgres', 130, { sourceAddressPrefix: '10.0.0.0/8', destinationPortRange: '5432' }),
      inbound('deny-any', 4000, { access: 'Deny', protocol: '*', sourceAddressPrefix: '*', destinationPortRange: '*' }),
    ]);
    const event = emulator.events().at(-1)!;
    botOnEmulator(emulator);
    const report = await reflexEvents(event.eventGrid, context());

    expect(report.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    expect(await ruleNames('nsg-public-web')).toEqual(['deny-any', 'https', 'postgres']);
    const writes = botWrites(emulator);
    expect(writes.map((c) => c.method)).toEqual(['DELETE', 'DELETE']);
    // One NSG takes one write at a time: the second DELETE goes once the first one's operation has Succeeded.
    const bot = emulator.calls().filter((c) => c.principal.oid === BOT.oid);
    const second = bot.indexOf(writes[1]!);
    expect(bot[second - 1]!.path).toMatch(/\/operations\//);
    expect(bot[second - 1]!.responseBody).toMatchObject({ status: 'Succeeded' });
    // Never closed by adding a competing rule.
    expect(writes.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('the world split in halves across rules on port 22 is removed; 10.0.0.0/8 and fc00::/7 stay', async () => {
    await nsgWith('nsg-split', [
      inbound('low-half', 100, { sourceAddressPrefix: '0.0.0.0/1', destinationPortRange: '22' }),
      inbound('high-half', 110, { sourceAddressPrefixes: ['128.0.0.0/1', '10.0.0.0/8'], destinationPortRange: '22' }),
      inbound('v6-halves', 120, { sourceAddressPrefixes: ['::/1', '8000::/1'], destinationPortRange: '22' }),
      inbound('private', 130, { sourceAddressPrefix: '10.0.0.0/8', destinationPortRange: '22' }),
      inbound('ula', 140, { sourceAddressPrefix: 'fc00::/7', destinationPortRange: '22' }),
    ]);
    const event = emulator.events().at(-1)!;
    botOnEmulator(emulator);
    const report = await reflexEvents(event.eventGrid, context());
    expect(report.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    const nsg = await humanClients(emulator).network.networkSecurityGroups.get(RG, 'nsg-split');
    const sources = Object.fromEntries(
      (nsg.securityRules ?? []).map((r) => [
        r.name,
        r.sourceAddressPrefixes?.length ? r.sourceAddressPrefixes : [r.sourceAddressPrefix],
      ]),
    );
    expect(sources).toEqual({ 'high-half': ['10.0.0.0/8'], private: ['10.0.0.0/8'], ula: ['fc00::/7'] });
  });

  it('a multi-prefix rule loses only its open prefix, in place', async () => {
    await nsgWith('nsg-app', [
      inbound('app', 200, {
        sourceAddressPrefixes: ['10.1.0.0/16', '0.0.0.0/0', '192.168.0.0/24'],
        destinationPortRanges: ['8080', '8443'],
      }),
    ]);
    const event = emulator.events().at(-1)!;
    botOnEmulator(emulator);
    const report = await reflexEvents(event.cloudEvent, context());
    expect(report.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    const rule = await humanClients(emulator).network.securityRules.get(RG, 'nsg-app', 'app');
    expect(rule.sourceAddressPrefixes).toEqual(['10.1.0.0/16', '192.168.0.0/24']);
    expect(rule.destinationPortRanges).toEqual(['8080', '8443']);
    expect(rule.priority).toBe(200);
    expect(await ruleNames('nsg-app')).toEqual(['app']);
  });

  it('a wide-open rule on an allow-listed NSG is narrowed to the public port, the split rule at a free priority', async () => {
    await nsgWith('nsg-public-web-2', [
      inbound('web', 300, { sourceAddressPrefixes: ['10.2.0.0/16', 'Internet'], destinationPortRange: '*' }),
      inbound('next', 301, { sourceAddressPrefix: '10.3.0.0/16', destinationPortRange: '22' }),
    ]);
    const event = emulator.events().at(-1)!;
    botOnEmulator(emulator);
    const report = await reflexEvents(event.eventGrid, context());
    expect(report.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    const nsg = await humanClients(emulator).network.networkSecurityGroups.get(RG, 'nsg-public-web-2');
    const rules = nsg.securityRules ?? [];
    const web = rules.find((r) => r.name === 'web')!;
    expect(web.sourceAddressPrefix).toBe('10.2.0.0/16');
    const split = rules.find((r) => r.name !== 'web' && r.name !== 'next')!;
    expect(split.sourceAddressPrefix).toBe('Internet');
    expect(split.destinationPortRange).toBe('443');
    expect(split.access).toBe('Allow');
    const priorities = rules.map((r) => r.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
  });

  it('manual remediate of a security rule id fixes its NSG', async () => {
    await nsgWith('nsg-manual', [inbound('ssh', 100, { sourceAddressPrefix: 'Any', destinationPortRange: '22' })]);
    botOnEmulator(emulator);
    const resource = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-manual/securityRules/ssh`;
    const res = await reflexManual(
      new HttpRequest({
        method: 'POST',
        url: 'https://reflex.example/api/manual',
        body: { string: JSON.stringify({ action: 'remediate', resource, reason: 'INC-7' }) },
      }),
      context('reflexManual'),
    );
    expect(res.status).toBe(200);
    expect(await ruleNames('nsg-manual')).toEqual([]);
  });

  it('manual: bad input is a 400 with the problem; contain of a resource Reflex does not govern is a 400', async () => {
    botOnEmulator(emulator);
    const call = (body: string) =>
      reflexManual(
        new HttpRequest({ method: 'POST', url: 'https://reflex.example/api/manual', body: { string: body } }),
        context('reflexManual'),
      );
    const bad = await call(JSON.stringify({ action: 'remediate' }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.jsonBody)).toContain('resource is required');
    expect((await call('not json')).status).toBe(400);
    const contain = await call(JSON.stringify({ action: 'contain', resource: `/subscriptions/${SUB}/x`, reason: 'r' }));
    expect(contain.status).toBe(400);
  });

  it('429s on the rule delete: still fixed', async () => {
    await nsgWith('nsg-throttled', [inbound('ssh', 100, { sourceAddressPrefix: '*', destinationPortRange: '22' })]);
    const event = emulator.events().at(-1)!;
    botOnEmulator(emulator);
    emulator.injectFault('throttle', 2, { method: 'DELETE' });
    const report = await reflexEvents(event.eventGrid, context());
    expect(report.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    expect(await ruleNames('nsg-throttled')).toEqual([]);
  });
});
