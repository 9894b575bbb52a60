import { TableClient } from '@azure/data-tables';
import type { AuditRecord, Outcome } from '@reflex/core';
import { type ArmEmulator, type AzuriteTable, armClientOptions, startAzuriteTable } from '@reflex/sim';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BOT, botWrites, context, FAST_LRO, humanClients, policyYaml, RG, SUB, startEmulator } from './harness.js';

let emulator: ArmEmulator;
let azurite: AzuriteTable;
beforeAll(async () => {
  [emulator, azurite] = await Promise.all([startEmulator(), startAzuriteTable()]);
});
afterAll(async () => {
  await Promise.all([emulator?.stop(), azurite?.stop()]);
});
beforeEach(() => {
  emulator.reset();
  emulator.seedResourceGroup(RG, 'westeurope', SUB);
});
afterEach(() => {
  expect(emulator.violations()).toEqual([]);
});

/**
 * One Functions instance: the azure package loaded afresh (its own bot, caches and clients), configured from the
 * environment, sharing nothing with the others but the ARM emulator and the tables in azurite.
 */
async function instance() {
  vi.resetModules();
  const azure = await import('@reflex/azure');
  azure.configureBot({
    env: {
      REFLEX_POLICY: policyYaml(),
      REFLEX_SUBSCRIPTION_IDS: SUB,
      REFLEX_STATE_CONNECTION_STRING: azurite.connectionString,
      REFLEX_AUDIT_TABLE: 'racesaudit',
      REFLEX_STATE_TABLE: 'racesstate',
    },
    connection: { ...armClientOptions(emulator, BOT), pollIntervalMs: 10 },
  });
  return azure;
}

/** Event Grid: a delivery that fails is delivered again. */
async function deliver(azure: Awaited<ReturnType<typeof instance>>, event: unknown) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await azure.reflexEvents(event, context());
    } catch (err) {
      if (attempt >= 5 || (err as Error).name !== 'TransientFailure') throw err;
    }
  }
}

describe('100 concurrent events on one storage account, 4 instances, one state table (azurite)', () => {
  it('converge to one verified fix per rule, one audit record per applied step, each write sent once', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'strace',
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
    const event = emulator.events().at(-1)!.eventGrid;
    const instances: Awaited<ReturnType<typeof instance>>[] = [];
    for (let i = 0; i < 4; i++) instances.push(await instance()); // one at a time: each import its own
    expect(new Set(instances).size).toBe(4);

    const distinct = Array.from({ length: 80 }, (_, i) => ({ ...event, id: `${String(event.id)}-${i}` }));
    const deliveries = [...distinct, ...distinct.slice(0, 20)];
    const before = botWrites(emulator).length;
    const reports = await Promise.all(deliveries.map((e, i) => deliver(instances[i % 4]!, e)));

    const outcomes: Outcome[] = reports.flatMap((r) => r.outcomes);
    const fixed = outcomes.filter((o) => o.status === 'fixed');
    expect(fixed.map((o) => o.rule).sort()).toEqual(['insecureTransport', 'publicStorage', 'storageWithoutLogging']);
    expect(outcomes.filter((o) => o.status === 'failed')).toEqual([]);

    const account = await human.storage.storageAccounts.getProperties(RG, 'strace');
    expect([account.allowBlobPublicAccess, account.enableHttpsTrafficOnly, account.minimumTlsVersion]).toEqual([
      false,
      true,
      'TLS1_2',
    ]);
    // Each write once: one account PATCH (the coalesced fixes), one diagnostic setting.
    expect(
      botWrites(emulator)
        .slice(before)
        .map((c) => c.method)
        .sort(),
    ).toEqual(['PATCH', 'PUT']);

    // One audit record per applied step, each `applied`, each belonging to a fixed outcome.
    const table = TableClient.fromConnectionString(azurite.connectionString, 'racesaudit', {
      allowInsecureConnection: true,
    });
    const rows: AuditRecord[] = [];
    for await (const e of table.listEntities<Record<string, unknown>>()) {
      let json = '';
      for (let i = 0; i < Number(e.recordChunks ?? 0); i++) json += String(e[`record${i}`] ?? '');
      rows.push(JSON.parse(json) as AuditRecord);
    }
    const applied = fixed.flatMap((o) => o.steps!.map((s) => s.step.id)).sort();
    expect(rows.map((r) => r.stepId).sort()).toEqual(applied);
    expect(rows.every((r) => r.status === 'applied')).toBe(true);
  }, 180_000);
});
