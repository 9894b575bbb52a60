import type { SecurityRule } from '@azure/arm-network';
import type { HttpResponseInit } from '@azure/functions';
import { CONTAIN_RULE_NAME, CONTAINED_TAG, reflexEvents } from '@reflex/azure';
import type { Outcome, UndoResult } from '@reflex/core';
import type { ArmEmulator } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import {
  inbound as anyInbound,
  armIds,
  BOT,
  botOnEmulator,
  botWrites,
  context,
  FAST_LRO,
  humanClients,
  manual,
  RG,
  useEmulator,
} from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

const nsgId = armIds.nsg;
const accountId = armIds.account;

const inbound = (name: string, priority: number, rest: Partial<SecurityRule> = {}): SecurityRule =>
  anyInbound(name, priority, { sourceAddressPrefix: '10.0.0.0/8', destinationPortRange: '443', ...rest });

async function nsgWith(
  name: string,
  securityRules: SecurityRule[],
  tags: Record<string, string> = { owner: 'web-team' },
) {
  const human = humanClients(emulator);
  await human.network.networkSecurityGroups.createOrUpdate(
    RG,
    name,
    { location: 'westeurope', securityRules, tags },
    FAST_LRO,
  );
  return human;
}

const outcomeOf = (res: HttpResponseInit) => (res.jsonBody as { outcomes: Outcome[] }).outcomes[0]!;

describe('contain a network security group', () => {
  it('adds a Deny-all inbound rule at 100, tags it with who and why (other tags kept), audits it, and undo removes both', async () => {
    const human = await nsgWith('nsg-app', [
      inbound('web', 200),
      inbound('ssh-admin', 300, { destinationPortRange: '22' }),
    ]);
    const { audit } = botOnEmulator(emulator);

    const res = await manual({
      action: 'contain',
      resource: nsgId('nsg-app'),
      reason: 'INC-7 lateral movement',
      requestedBy: 'alice@example.com',
    });
    expect(res.status).toBe(200);
    const o = outcomeOf(res);
    expect(o.status).toBe('fixed');

    const nsg = await human.network.networkSecurityGroups.get(RG, 'nsg-app');
    const deny = nsg.securityRules!.find((r) => r.name === CONTAIN_RULE_NAME)!;
    expect(deny).toMatchObject({
      access: 'Deny',
      direction: 'Inbound',
      priority: 100,
      protocol: '*',
      sourceAddressPrefix: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: '*',
    });
    expect(nsg.tags!['owner']).toBe('web-team');
    expect(nsg.tags![CONTAINED_TAG]).toMatch(
      new RegExp(`^\\d{4}-.*${o.remediationId}: INC-7 lateral movement \\(function key, claimed alice@example.com\\)$`),
    );
    expect(audit.records[0]).toMatchObject({
      rule: 'contain',
      mode: 'manual',
      status: 'applied',
      correlation: { actor: 'function key', claimedBy: 'alice@example.com', reason: 'INC-7 lateral movement' },
    });
    expect(botWrites(emulator).map((c) => `${c.method} ${c.operationId}`)).toEqual([
      'PUT SecurityRules_CreateOrUpdate',
      'PATCH NetworkSecurityGroups_UpdateTags',
    ]);

    const undone = await manual({
      action: 'undo',
      remediationId: o.remediationId,
      reason: 'INC-7 closed',
      requestedBy: 'bob',
    });
    expect(undone.status).toBe(200);
    expect((undone.jsonBody as UndoResult).status).toBe('undone');
    const after = await human.network.networkSecurityGroups.get(RG, 'nsg-app');
    expect(after.securityRules!.map((r) => r.name).sort()).toEqual(['ssh-admin', 'web']);
    expect(after.tags).toEqual({ owner: 'web-team' });
    expect(audit.records.at(-1)).toMatchObject({
      status: 'undone',
      correlation: { actor: 'function key', claimedBy: 'bob', reason: 'INC-7 closed' },
    });
  });

  it('100 taken: takes the lowest free number below the first Allow rule', async () => {
    const human = await nsgWith('nsg-busy', [
      inbound('deny-bad', 100, { access: 'Deny', sourceAddressPrefix: '203.0.113.0/24' }),
      inbound('deny-worse', 101, { access: 'Deny', sourceAddressPrefix: '198.51.100.0/24' }),
      inbound('web', 105),
    ]);
    botOnEmulator(emulator);
    const o = outcomeOf(await manual({ action: 'contain', resource: nsgId('nsg-busy'), reason: 'INC-8' }));
    expect(o.status, o.reason).toBe('fixed');
    const rule = await human.network.securityRules.get(RG, 'nsg-busy', CONTAIN_RULE_NAME);
    expect(rule.priority).toBe(102);
  });

  it('an Allow rule at 100 (the first priority) moves to the lowest free number, the deny-all takes 100; undo puts it back', async () => {
    // Issue 18 item 12: this NSG was refused before ("would still win over a deny-all rule").
    const human = await nsgWith('nsg-tight', [
      inbound('web', 100, { destinationPortRange: '443', description: 'public web' }),
      inbound('ssh', 101, { destinationPortRange: '22', sourceAddressPrefix: '10.0.0.0/8' }),
      inbound('deny-bad', 103, { access: 'Deny', sourceAddressPrefix: '203.0.113.0/24' }),
    ]);
    botOnEmulator(emulator);
    const o = outcomeOf(await manual({ action: 'contain', resource: nsgId('nsg-tight'), reason: 'INC-9' }));
    expect(o.status, o.reason).toBe('fixed');
    const byName = async () =>
      Object.fromEntries(
        ((await human.network.networkSecurityGroups.get(RG, 'nsg-tight')).securityRules ?? []).map((r) => [
          r.name,
          r.priority,
        ]),
      );
    expect(await byName()).toEqual({ [CONTAIN_RULE_NAME]: 100, web: 102, ssh: 101, 'deny-bad': 103 });
    const web = await human.network.securityRules.get(RG, 'nsg-tight', 'web');
    expect(web).toMatchObject({ access: 'Allow', destinationPortRange: '443', description: 'public web' });

    const undone = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'INC-9 closed' });
    expect((undone.jsonBody as UndoResult).status, JSON.stringify(undone.jsonBody)).toBe('undone');
    expect(await byName()).toEqual({ web: 100, ssh: 101, 'deny-bad': 103 });
  });

  it('reason is required; dryRun plans and writes nothing', async () => {
    await nsgWith('nsg-dry', [inbound('web', 200)]);
    botOnEmulator(emulator);
    expect((await manual({ action: 'contain', resource: nsgId('nsg-dry') })).status).toBe(400);
    const o = outcomeOf(await manual({ action: 'contain', resource: nsgId('nsg-dry'), reason: 'drill', dryRun: true }));
    expect(o.status).toBe('ticketed');
    expect(o.steps![0]!.step.calls[0]!.api).toMatch(/Deny \* → \* at priority 100/);
    expect(botWrites(emulator)).toEqual([]);
  });

  it('undo refuses, and says why, when the deny rule was changed after containment', async () => {
    const human = await nsgWith('nsg-changed', [inbound('web', 200)]);
    botOnEmulator(emulator);
    const o = outcomeOf(await manual({ action: 'contain', resource: nsgId('nsg-changed'), reason: 'INC-10' }));
    const rule = await human.network.securityRules.get(RG, 'nsg-changed', CONTAIN_RULE_NAME);
    await human.network.securityRules.createOrUpdate(
      RG,
      'nsg-changed',
      CONTAIN_RULE_NAME,
      { ...rule, sourceAddressPrefix: 'Internet' },
      FAST_LRO,
    );
    const dry = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'check', dryRun: true });
    expect(dry.jsonBody).toMatchObject({ status: 'would-refuse', dryRun: true });
    const res = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'INC-10 closed' });
    expect(res.status).toBe(409);
    const result = res.jsonBody as UndoResult;
    expect(result.status).toBe('refused');
    expect(result.differences!.join('\n')).toMatch(
      /reflex-contain-deny-all-inbound: sources is \["Internet"\] \(Reflex wrote \["\*"\]\)/,
    );
    expect((await human.network.securityRules.get(RG, 'nsg-changed', CONTAIN_RULE_NAME)).sourceAddressPrefix).toBe(
      'Internet',
    );
  });
});

describe('contain a storage account', () => {
  it('one PATCH: publicNetworkAccess Disabled, default action Deny, ip rules and tags kept; undo puts it back', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stleak',
      {
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        tags: { costCenter: '42' },
        // arm-storage 20.0.0 sends `properties` only when a camelCase-checked field is set (see withSdkPropertyMarkers).
        minimumTlsVersion: 'TLS1_2',
        networkRuleSet: { defaultAction: 'Allow', ipRules: [{ iPAddressOrRange: '203.0.113.7', action: 'Allow' }] },
      },
      FAST_LRO,
    );
    const { audit } = botOnEmulator(emulator);
    const o = outcomeOf(
      await manual({ action: 'contain', resource: accountId('stleak'), reason: 'key leaked', requestedBy: 'carol' }),
    );
    expect(o.status).toBe('fixed');
    const patches = botWrites(emulator);
    expect(patches.map((c) => c.method)).toEqual(['PATCH']);
    expect(patches[0]!.requestBody).toMatchObject({
      properties: {
        publicNetworkAccess: 'Disabled',
        networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '203.0.113.7', action: 'Allow' }] },
      },
      tags: { costCenter: '42' },
    });
    const locked = await human.storage.storageAccounts.getProperties(RG, 'stleak');
    expect(locked.publicNetworkAccess).toBe('Disabled');
    expect(locked.networkRuleSet?.defaultAction).toBe('Deny');
    expect(locked.networkRuleSet?.ipRules).toEqual([{ iPAddressOrRange: '203.0.113.7', action: 'Allow' }]);
    expect(locked.tags).toMatchObject({
      costCenter: '42',
      [CONTAINED_TAG]: expect.stringContaining('key leaked (function key, claimed carol)'),
    });
    expect(audit.records[0]!.before).toEqual({ publicNetworkAccess: null, defaultAction: 'Allow', tag: null });

    const res = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'rotated' });
    expect((res.jsonBody as UndoResult).status).toBe('undone');
    const open = await human.storage.storageAccounts.getProperties(RG, 'stleak');
    expect(open.publicNetworkAccess).toBe('Enabled');
    expect(open.networkRuleSet?.defaultAction).toBe('Allow');
    expect(open.networkRuleSet?.ipRules).toHaveLength(1);
    expect(open.tags).toEqual({ costCenter: '42' });
    // A second undo changes nothing.
    const again = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'rotated' });
    expect((again.jsonBody as UndoResult).status).toBe('already-undone');
  });
});

describe('undo of event-driven fixes', () => {
  it('storage: public container, account switches and the created diagnostic setting all go back', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stundo',
      {
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        allowBlobPublicAccess: true,
        enableHttpsTrafficOnly: false,
        minimumTlsVersion: 'TLS1_0',
      },
      FAST_LRO,
    );
    const created = emulator.events().at(-1)!;
    await human.storage.blobContainers.create(RG, 'stundo', 'pics', { publicAccess: 'Blob' });
    botOnEmulator(emulator);
    // The account's creation has every rule judged (the container's own event only public access).
    const report = await reflexEvents(created.eventGrid, context());
    const fixed = report.outcomes.filter((o) => o.status === 'fixed');
    expect(fixed.map((o) => o.rule).sort()).toEqual(['insecureTransport', 'publicStorage', 'storageWithoutLogging']);
    expect((await human.storage.blobContainers.get(RG, 'stundo', 'pics')).publicAccess).toBe('None');

    for (const o of fixed) {
      const res = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'false positive' });
      expect((res.jsonBody as UndoResult).status, JSON.stringify(res.jsonBody)).toBe('undone');
    }
    const account = await human.storage.storageAccounts.getProperties(RG, 'stundo');
    expect(account.allowBlobPublicAccess).toBe(true);
    expect(account.enableHttpsTrafficOnly).toBe(false);
    expect(account.minimumTlsVersion).toBe('TLS1_0');
    expect((await human.storage.blobContainers.get(RG, 'stundo', 'pics')).publicAccess).toBe('Blob');
    const settings = [];
    for await (const s of human.monitor.diagnosticSettings.list(`${accountId('stundo')}/blobServices/default`))
      settings.push(s);
    expect(settings).toEqual([]);
  });

  it('storage: refuses when someone changed what Reflex wrote', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'sttls',
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2', minimumTlsVersion: 'TLS1_0' },
      FAST_LRO,
    );
    botOnEmulator(emulator);
    const report = await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    const o = report.outcomes.find((x) => x.rule === 'insecureTransport' && x.status === 'fixed')!;
    await human.storage.storageAccounts.update(RG, 'sttls', { minimumTlsVersion: 'TLS1_3' });
    const res = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'oops' });
    expect(res.status).toBe(409);
    expect((res.jsonBody as UndoResult).differences).toEqual([
      'account sttls: minimumTlsVersion is "TLS1_3" (Reflex wrote "TLS1_2")',
    ]);
    expect((await human.storage.storageAccounts.getProperties(RG, 'sttls')).minimumTlsVersion).toBe('TLS1_3');
  });

  it('NSG: re-creates deleted rules with their original properties and priority; refuses when the priority was taken', async () => {
    const human = await nsgWith('nsg-open', [
      inbound('rdp', 100, { sourceAddressPrefix: 'Internet', destinationPortRange: '3389', description: 'jump box' }),
      inbound('ssh', 110, { sourceAddressPrefix: '*', destinationPortRange: '22' }),
    ]);
    botOnEmulator(emulator);
    const report = await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    const o = report.outcomes.find((x) => x.status === 'fixed')!;
    expect((await human.network.networkSecurityGroups.get(RG, 'nsg-open')).securityRules).toEqual([]);

    // Someone takes priority 110 meanwhile: undo refuses whole.
    await human.network.securityRules.createOrUpdate(RG, 'nsg-open', 'web', inbound('web', 110), FAST_LRO);
    const refused = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'needed' });
    expect(refused.status).toBe(409);
    expect((refused.jsonBody as UndoResult).differences!.join('\n')).toMatch(
      /rule ssh: its priority 110 \(Inbound\) is now held by rule web/,
    );
    expect((await human.network.networkSecurityGroups.get(RG, 'nsg-open')).securityRules!.map((r) => r.name)).toEqual([
      'web',
    ]);

    await human.network.securityRules.delete(RG, 'nsg-open', 'web', FAST_LRO);
    const res = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'needed' });
    expect((res.jsonBody as UndoResult).status).toBe('undone');
    const rules = (await human.network.networkSecurityGroups.get(RG, 'nsg-open')).securityRules!;
    expect(
      rules.map((r) => [r.name, r.priority, r.sourceAddressPrefix, r.destinationPortRange, r.description]),
    ).toEqual([
      ['rdp', 100, 'Internet', '3389', 'jump box'],
      ['ssh', 110, '*', '22', undefined],
    ]);
    expect(botWrites(emulator).every((c) => c.principal.oid === BOT.oid)).toBe(true);
  });

  it('undo without an audit table says so (501) and changes nothing', async () => {
    const { configureBot } = await import('@reflex/azure');
    const { armClientOptions } = await import('@reflex/sim');
    configureBot({ env: { REFLEX_POLICY: 'version: 1' }, connection: armClientOptions(emulator, BOT) });
    const res = await manual({ action: 'undo', remediationId: 'rem-x', reason: 'test' });
    expect(res.status).toBe(501);
    expect(JSON.stringify(res.jsonBody)).toMatch(/REFLEX_AUDIT_TABLE/);
  });
});
