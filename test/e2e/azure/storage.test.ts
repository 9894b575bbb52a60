import { readFileSync } from 'node:fs';
import { HttpRequest } from '@azure/functions';
import { reflexEvents, reflexEventsWebhook, reflexManual, reflexSweep } from '@reflex/azure';
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
  manual,
  policyYaml,
  RG,
  SUB,
  useEmulator,
  WORKSPACE,
  WRITES,
} from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

const accountId = armIds.account;

/** A storage account made public / HTTP-allowed / TLS1_0 by a person, through the real SDK. */
async function misconfiguredAccount(name: string, tags?: Record<string, string>) {
  const human = humanClients(emulator);
  await human.storage.storageAccounts.create(
    RG,
    name,
    {
      location: 'westeurope',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      allowBlobPublicAccess: true,
      enableHttpsTrafficOnly: false,
      minimumTlsVersion: 'TLS1_0',
      ...(tags ? { tags } : {}),
    },
    FAST_LRO,
  );
  return human;
}

const lastEvent = () => emulator.events().at(-1)!;
/** The operations the bot called since the emulator's `from`-th call, in order. */
const botOps = (from: number) =>
  emulator
    .calls()
    .slice(from)
    .filter((c) => c.principal.oid === BOT.oid)
    .map((c) => c.operationId);

describe('storage account through the real handlers', () => {
  it('public, HTTP allowed and TLS1_0: fixed in ONE PATCH, logging created, verified', async () => {
    const human = await misconfiguredAccount('stpublic');
    botOnEmulator(emulator);
    const report = await reflexEvents(lastEvent().eventGrid, context());

    const patches = botWrites(emulator).filter((c) => c.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.requestBody).toMatchObject({
      properties: { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' },
    });
    const after = await human.storage.storageAccounts.getProperties(RG, 'stpublic');
    expect(after.allowBlobPublicAccess).toBe(false);
    expect(after.enableHttpsTrafficOnly).toBe(true);
    expect(after.minimumTlsVersion).toBe('TLS1_2');

    // Diagnostic settings were missing: created on the blob service, to the policy workspace.
    const settings = [];
    for await (const s of human.monitor.diagnosticSettings.list(`${accountId('stpublic')}/blobServices/default`))
      settings.push(s);
    expect(settings).toHaveLength(1);
    expect(settings[0]!.workspaceId).toBe(WORKSPACE);
    expect(settings[0]!.logs?.map((l) => l.category).sort()).toEqual(['StorageDelete', 'StorageRead', 'StorageWrite']);

    const byRule = Object.fromEntries(report.outcomes.map((o) => [o.rule, o.status]));
    expect(byRule).toMatchObject({
      publicStorage: 'fixed',
      insecureTransport: 'fixed',
      storageWithoutLogging: 'fixed',
    });
    // The events the emulator emitted for the bot's own writes come back: the loop guard ignores them all.
    const own = emulator.events().filter((e) => e.eventGrid.data.claims['appid'] === BOT.appid);
    expect(own.length).toBeGreaterThan(0);
    const calls = emulator.calls().length;
    for (const e of own) {
      const r = await reflexEvents(e.cloudEvent, context());
      expect(r.outcomes.map((o) => o.reason)).toEqual([expect.stringMatching(/own identity/)]);
    }
    expect(emulator.calls().length).toBe(calls);

    const step = report.outcomes.find((o) => o.rule === 'insecureTransport')!.steps![0]!;
    expect(step.result!.before).toEqual({ enableHttpsTrafficOnly: false, minimumTlsVersion: 'TLS1_0' });
    expect(step.result!.requestIds.some((id) => id.startsWith('x-ms-request-id:'))).toBe(true);
  });

  it('reads the account, its containers and its diagnostic settings at once; verifies only what it wrote', async () => {
    await misconfiguredAccount('stverify');
    botOnEmulator(emulator);
    const from = emulator.calls().length;
    const report = await reflexEvents(lastEvent().eventGrid, context());
    expect(report.outcomes.filter((o) => o.status === 'fixed').map((o) => o.rule)).toEqual(
      expect.arrayContaining(['publicStorage', 'insecureTransport', 'storageWithoutLogging']),
    );
    const ops = botOps(from);
    // Read: three GETs; write: one account PATCH and the setting PUT; verify: the account and the one setting,
    // not the containers (no container was written).
    expect(ops.slice(0, 3).sort()).toEqual([
      'BlobContainers_List',
      'DiagnosticSettings_List',
      'StorageAccounts_GetProperties',
    ]);
    expect(ops.slice(3, 5).sort()).toEqual(['DiagnosticSettings_CreateOrUpdate', 'StorageAccounts_Update']);
    expect(ops.slice(5).sort()).toEqual(['DiagnosticSettings_Get', 'StorageAccounts_GetProperties']);
  });

  it('an account PATCH (an update) judges what the account document holds: no diagnostic settings read', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stpatched',
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2', allowBlobPublicAccess: false },
      FAST_LRO,
    );
    // arm-storage 20 sends `properties` only when a PascalCase marker is set (see fixStorage.ts in the adapter).
    await human.storage.storageAccounts.update(
      RG,
      'stpatched',
      Object.assign({ allowBlobPublicAccess: true }, { AllowBlobPublicAccess: true }),
    );
    const patched = lastEvent();
    expect(patched.eventGrid.data.httpRequest.method).toBe('PATCH');
    botOnEmulator(emulator);
    const from = emulator.calls().length;
    const report = await reflexEvents(patched.eventGrid, context());

    expect(Object.fromEntries(report.outcomes.map((o) => [o.rule, o.status]))).toEqual({
      publicStorage: 'fixed',
      unencryptedStorage: 'compliant',
      insecureTransport: 'compliant',
    });
    const ops = botOps(from);
    expect(ops.slice(0, 2).sort()).toEqual(['BlobContainers_List', 'StorageAccounts_GetProperties']);
    expect(ops.slice(2)).toEqual(['StorageAccounts_Update', 'StorageAccounts_GetProperties']);
    expect((await human.storage.storageAccounts.getProperties(RG, 'stpatched')).allowBlobPublicAccess).toBe(false);
    // Logging is left to the account's creation event, its own settings' events and sweeps: still none here.
    const settings = [];
    for await (const x of human.monitor.diagnosticSettings.list(`${accountId('stpatched')}/blobServices/default`))
      settings.push(x);
    expect(settings).toEqual([]);
  });

  it('a deleted diagnostic setting: only logging is judged, so the containers are not even listed', async () => {
    const human = await misconfiguredAccount('stlogs');
    botOnEmulator(emulator);
    await reflexEvents(lastEvent().eventGrid, context());
    await human.monitor.diagnosticSettings.delete(
      `${accountId('stlogs')}/blobServices/default`,
      'reflex-blob-access-logs',
    );
    const deleted = lastEvent();
    expect(deleted.eventGrid.subject).toMatch(/\/providers\/Microsoft\.Insights\/diagnosticSettings\//i);
    // Someone also lowers TLS again: not this event's business (the account's own write event judges it).
    await human.storage.storageAccounts.update(RG, 'stlogs', { minimumTlsVersion: 'TLS1_0' });
    const from = emulator.calls().length;
    const report = await reflexEvents(deleted.eventGrid, context());

    expect(report.outcomes.map((o) => [o.rule, o.status])).toEqual([['storageWithoutLogging', 'fixed']]);
    const ops = botOps(from);
    expect(ops.slice(0, 2).sort()).toEqual(['DiagnosticSettings_List', 'StorageAccounts_GetProperties']);
    expect(ops.slice(2)).toEqual(['DiagnosticSettings_CreateOrUpdate', 'DiagnosticSettings_Get']);
    expect((await human.storage.storageAccounts.getProperties(RG, 'stlogs')).minimumTlsVersion).toBe('TLS1_0');
  });

  it('a public container is set to None (the same CloudEvent twice: the second does nothing)', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stcontainer',
      {
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        allowBlobPublicAccess: true,
        // arm-storage 20.0.0 only sends `properties` when a correctly cased one is set (see withSdkPropertyMarkers).
        minimumTlsVersion: 'TLS1_2',
      },
      FAST_LRO,
    );
    await human.storage.blobContainers.create(RG, 'stcontainer', 'site', { publicAccess: 'Container' });
    const event = lastEvent().cloudEvent;
    expect(event.subject).toContain('/containers/site');
    botOnEmulator(emulator);
    const first = await reflexEvents(event, context());
    expect(first.outcomes.find((o) => o.rule === 'publicStorage')?.status).toBe('fixed');
    const container = await human.storage.blobContainers.get(RG, 'stcontainer', 'site');
    expect(container.publicAccess).toBe('None');

    const writes = botWrites(emulator).length;
    const second = await reflexEvents(event, context());
    expect(second.outcomes.every((o) => o.status === 'ignored' && /already handled/.test(o.reason))).toBe(true);
    expect(botWrites(emulator)).toHaveLength(writes);
  });

  it('dry-run: zero write calls and a ticket with the exact fix', async () => {
    await misconfiguredAccount('stdryrun');
    const { tickets } = botOnEmulator(emulator, policyYaml().replace('mode: enforce', 'mode: dry-run'));
    const before = emulator.calls().length;
    const report = await reflexEvents(lastEvent().eventGrid, context());
    expect(
      emulator
        .calls()
        .slice(before)
        .filter((c) => WRITES.has(c.method)),
    ).toEqual([]);
    expect(
      report.outcomes
        .filter((o) => o.status === 'ticketed')
        .map((o) => o.rule)
        .sort(),
    ).toEqual(['insecureTransport', 'publicStorage', 'storageWithoutLogging']);
    expect(tickets.tickets.length).toBe(3);
    expect(JSON.stringify(tickets.tickets)).toContain('az storage account update');
  });

  it('manual dryRun: zero writes and a ticket', async () => {
    await misconfiguredAccount('stmanual');
    const { tickets } = botOnEmulator(emulator);
    const before = emulator.calls().length;
    const res = await reflexManual(
      new HttpRequest({
        method: 'POST',
        url: 'https://reflex.example/api/manual',
        body: {
          string: JSON.stringify({
            action: 'remediate',
            resource: accountId('stmanual'),
            dryRun: true,
            reason: 'check',
          }),
        },
      }),
      context('reflexManual'),
    );
    expect(res.status).toBe(200);
    expect(
      emulator
        .calls()
        .slice(before)
        .filter((c) => WRITES.has(c.method)),
    ).toEqual([]);
    expect(tickets.tickets.length).toBeGreaterThan(0);
  });

  it('manual with an AWS `account`: 400 naming the field, no call', async () => {
    botOnEmulator(emulator);
    const before = emulator.calls().length;
    const res = await manual({ action: 'remediate', resource: accountId('stnone'), account: '210987654321' });
    expect(res).toMatchObject({ status: 400, jsonBody: { message: expect.stringMatching(/account is an AWS field/) } });
    expect(emulator.calls().length).toBe(before);
  });

  it('an exemption tag is honoured', async () => {
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await misconfiguredAccount('stexempt', { 'reflex:exempt': `all; reason=INC-42 migration; until=${until}` });
    botOnEmulator(emulator);
    const report = await reflexEvents(lastEvent().eventGrid, context());
    expect(botWrites(emulator)).toEqual([]);
    expect(report.outcomes.filter((o) => o.finding).every((o) => o.status === 'exempt')).toBe(true);
  });

  it("the bot's own write event does nothing", async () => {
    await misconfiguredAccount('stloop');
    botOnEmulator(emulator);
    const own = structuredClone(lastEvent().eventGrid);
    own.id = 'own-write';
    own.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] = BOT.oid;
    own.data.claims['appid'] = BOT.appid;
    own.data.authorization.evidence.principalId = BOT.oid.replaceAll('-', '');
    const before = emulator.calls().length;
    const report = await reflexEvents(own, context());
    expect(report.outcomes.map((o) => o.status)).toEqual(['ignored']);
    expect(report.outcomes[0]!.reason).toMatch(/own identity/);
    expect(emulator.calls().length).toBe(before);
  });

  it('429s with Retry-After: still fixed', async () => {
    const human = await misconfiguredAccount('stthrottled');
    botOnEmulator(emulator);
    emulator.injectFault('throttle', 2, { method: 'PATCH' });
    emulator.injectFault('throttle', 1, { method: 'GET', pathIncludes: 'stthrottled' });
    const report = await reflexEvents(lastEvent().eventGrid, context());
    expect(emulator.calls().filter((c) => c.fault === 'throttle').length).toBe(3);
    expect(report.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('fixed');
    const after = await human.storage.storageAccounts.getProperties(RG, 'stthrottled');
    expect(after.minimumTlsVersion).toBe('TLS1_2');
  });

  it('a published fixture (ids rewritten in memory) drives the webhook', async () => {
    await misconfiguredAccount('stfixture');
    botOnEmulator(emulator);
    const text = readFileSync(
      'test/fixtures/events/azure/eventgrid-subscription-ResourceWriteSuccess-storage.json',
      'utf8',
    )
      .replaceAll('{subscription-id}', SUB)
      .replaceAll('{resource-group}', RG)
      .replaceAll('{storage-name}', 'stfixture');
    const res = await reflexEventsWebhook(
      new HttpRequest({ method: 'POST', url: 'https://reflex.example/api/events', body: { string: text } }),
      context('reflexEventsWebhook'),
    );
    expect(res.status).toBe(200);
    const after = await humanClients(emulator).storage.storageAccounts.getProperties(RG, 'stfixture');
    expect(after.allowBlobPublicAccess).toBe(false);
  });
});

describe('timer sweep', () => {
  it('sweeps every storage account and NSG in the subscription with the real timer handler', async () => {
    await misconfiguredAccount('stsweep');
    const human = humanClients(emulator);
    await human.network.networkSecurityGroups.createOrUpdate(
      RG,
      'nsg-sweep',
      {
        location: 'westeurope',
        securityRules: [
          {
            name: 'rdp',
            priority: 100,
            direction: 'Inbound',
            access: 'Allow',
            protocol: 'Tcp',
            sourcePortRange: '*',
            sourceAddressPrefix: 'Internet',
            destinationAddressPrefix: '*',
            destinationPortRange: '3389',
          },
        ],
      },
      FAST_LRO,
    );
    botOnEmulator(emulator);
    const report = await reflexSweep(
      { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: undefined as never },
      context('reflexSweep'),
    );
    const fixed = report.outcomes.filter((o) => o.status === 'fixed').map((o) => `${o.resource.name}:${o.rule}`);
    expect(fixed).toEqual(
      expect.arrayContaining(['stsweep:publicStorage', 'stsweep:insecureTransport', 'nsg-sweep:openIngress']),
    );
    const nsg = await human.network.networkSecurityGroups.get(RG, 'nsg-sweep');
    expect(nsg.securityRules).toEqual([]);
  });
});
