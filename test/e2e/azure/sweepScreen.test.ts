import { InvocationContext } from '@azure/functions';
import { reflexSweep, sweepOptions, sweepTargets } from '@reflex/azure';
import { type FirewallPosture, handleTargets } from '@reflex/core';
import type { ArmEmulator } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import {
  armIds,
  BOT,
  botOnEmulator,
  botWrites,
  context,
  FAST_LRO,
  humanClients,
  inbound,
  nsgWith,
  RG,
  SUB,
  useEmulator,
} from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

const TIMER = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: undefined as never };

/** The bot's GETs of this one NSG (not the subscription's listing), from `from` on in the emulator's log. */
function botGetsOf(name: string, from = 0) {
  const id = armIds.nsg(name).toLowerCase();
  return emulator
    .calls()
    .slice(from)
    .filter(
      (c) =>
        c.principal.oid === BOT.oid && c.operationId === 'NetworkSecurityGroups_Get' && c.path.toLowerCase() === id,
    );
}

async function ruleNames(name: string): Promise<string[]> {
  const nsg = await humanClients(emulator).network.networkSecurityGroups.get(RG, name);
  return (nsg.securityRules ?? []).map((r) => r.name!).sort();
}

describe('the sweep screens NSGs with their listing', () => {
  it('a compliant NSG is answered from the listing, no GET; an open one is read again and fixed', async () => {
    await nsgWith(emulator, 'nsg-quiet', [
      inbound('postgres', 100, { sourceAddressPrefix: '10.0.0.0/8', destinationPortRange: '5432' }),
    ]);
    await nsgWith(emulator, 'nsg-open', [
      inbound('ssh', 100, { sourceAddressPrefix: '*', destinationPortRange: '22' }),
    ]);
    botOnEmulator(emulator);
    const from = emulator.calls().length;

    const lines: string[] = [];
    const ctx = new InvocationContext({
      invocationId: 'inv-sweep',
      functionName: 'reflexSweep',
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    const report = await reflexSweep(TIMER, ctx);

    const outcome = (name: string) => report.outcomes.find((o) => o.resource.name === name && o.rule === 'openIngress');
    expect(outcome('nsg-quiet')).toMatchObject({ status: 'compliant', reason: 'no finding (bulk read)' });
    expect(botGetsOf('nsg-quiet', from)).toEqual([]);
    // The listing's finding is decided on a fresh GET, and the fix verified by another.
    expect(outcome('nsg-open')?.status).toBe('fixed');
    expect(botGetsOf('nsg-open', from).length).toBeGreaterThanOrEqual(1);
    expect(await ruleNames('nsg-open')).toEqual([]);
    expect(await ruleNames('nsg-quiet')).toEqual(['postgres']);
    // The log: one entry of counts, then each outcome but the compliant ones (counted only).
    const entries = lines.map((l) => JSON.parse(l) as { kind: string; status?: string; resource?: string });
    const compliant = report.outcomes.filter((o) => o.status === 'compliant').length;
    expect(compliant).toBeGreaterThan(0);
    expect(entries.filter((e) => e.kind === 'reflex.sweep')).toEqual([
      expect.objectContaining({ counts: expect.objectContaining({ compliant, fixed: 1 }) }),
    ]);
    const listed = entries.filter((e) => e.kind === 'reflex.outcome');
    expect(listed.filter((e) => e.status === 'compliant')).toEqual([]);
    expect(listed).toContainEqual(expect.objectContaining({ status: 'fixed', resource: armIds.nsg('nsg-open') }));
  });

  it('a rule the listing showed open but a person removed since: compliant on the fresh GET, nothing written', async () => {
    await nsgWith(emulator, 'nsg-stale', [
      inbound('rdp', 100, { sourceAddressPrefix: 'Internet', destinationPortRange: '3389' }),
    ]);
    const { bot } = botOnEmulator(emulator);
    const ctx = context('reflexSweep');
    const eventId = `sweep:${ctx.invocationId}:${SUB}`;
    // The sweep's own two halves, with the person's fix between the listing and the engine.
    const targets = await sweepTargets(bot, SUB, eventId);
    const screen = targets.find((t) => t.ref.name === 'nsg-stale')?.screen as FirewallPosture | undefined;
    expect(screen?.rules.map((r) => r.id)).toEqual(['rdp']);
    await humanClients(emulator).network.securityRules.beginDeleteAndWait(RG, 'nsg-stale', 'rdp', FAST_LRO);
    const from = emulator.calls().length;

    const report = await handleTargets(eventId, targets, bot.policy!, bot.ports(ctx), sweepOptions(bot.env));

    expect(report.outcomes.find((o) => o.rule === 'openIngress')).toMatchObject({
      status: 'compliant',
      reason: 'no finding',
    });
    expect(botGetsOf('nsg-stale', from)).toHaveLength(1);
    expect(botWrites(emulator)).toEqual([]);
  });
});
