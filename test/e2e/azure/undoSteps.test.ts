import { configureBot, reflexEvents } from '@reflex/azure';
import { type AuditRecord, MemoryAuditStore, MemoryTicketSink, type Outcome, type UndoResult } from '@reflex/core';
import { type ArmEmulator, armClientOptions } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import {
  BOT,
  botWrites,
  context,
  FAST_LRO,
  humanClients,
  manual,
  policyYaml,
  RG,
  SUB,
  useEmulator,
} from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

describe('undo on the ARM emulator, per step', () => {
  it('the account gate is put back before its containers; a partly failed undo continues on retry', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stundo',
      {
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        allowBlobPublicAccess: true,
        minimumTlsVersion: 'TLS1_2',
      },
      FAST_LRO,
    );
    await human.storage.blobContainers.create(RG, 'stundo', 'site', { publicAccess: 'Container' });
    // A bot whose ARM clients do not retry: one injected 500 fails the write.
    const audit = new MemoryAuditStore();
    configureBot({
      env: { REFLEX_POLICY: policyYaml(), REFLEX_SUBSCRIPTION_IDS: SUB },
      connection: { ...armClientOptions(emulator, BOT), pollIntervalMs: 10, maxRetries: 0 },
      tickets: new MemoryTicketSink(),
      audit,
    });
    const report = await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    const ps = report.outcomes.find((o: Outcome) => o.rule === 'publicStorage')!;
    expect(ps.status).toBe('fixed');
    expect(ps.steps!.map((s) => s.step.fix.type).sort()).toEqual([
      'disallow-public-containers',
      'set-container-access',
    ]);

    // The container write fails in the first undo.
    const from = botWrites(emulator).length;
    emulator.injectFault('error', 1, { method: 'PATCH', pathIncludes: '/blobServices/default/containers/site' });
    const first = await manual({ action: 'undo', remediationId: ps.remediationId, reason: 'CHG-7' });
    expect((first.jsonBody as UndoResult).status).toBe('failed');
    const writes = botWrites(emulator).slice(from);
    // The account's allowBlobPublicAccess went back first: Azure refuses public containers while it is false.
    expect(writes[0]?.path).toMatch(/storageAccounts\/stundo$/i);
    expect((await human.storage.storageAccounts.getProperties(RG, 'stundo')).allowBlobPublicAccess).toBe(true);
    expect((await human.storage.blobContainers.get(RG, 'stundo', 'site')).publicAccess).toBe('None');

    // A dry-run sees the one step still to undo (not "already undone"), and writes nothing.
    const before = botWrites(emulator).length;
    const preview = await manual({ action: 'undo', remediationId: ps.remediationId, reason: 'CHG-7', dryRun: true });
    expect(preview.jsonBody).toMatchObject({ status: 'would-undo', dryRun: true, steps: [{ status: 'restored' }] });
    expect(botWrites(emulator).length).toBe(before);

    const again = botWrites(emulator).length;
    const retry = await manual({ action: 'undo', remediationId: ps.remediationId, reason: 'CHG-7' });
    expect((retry.jsonBody as UndoResult).status).toBe('undone');
    // Only the container was written: the account was not touched again.
    expect(
      botWrites(emulator)
        .slice(again)
        .every((c) => /containers\/site$/i.test(c.path)),
    ).toBe(true);
    expect((await human.storage.blobContainers.get(RG, 'stundo', 'site')).publicAccess).toBe('Container');
    expect(
      audit.records
        .filter((r) => r.status === 'undone')
        .map((r) => r.fix.type)
        .sort(),
    ).toEqual(['disallow-public-containers', 'set-container-access']);
    const third = await manual({ action: 'undo', remediationId: ps.remediationId, reason: 'CHG-7' });
    expect((third.jsonBody as UndoResult).status).toBe('already-undone');
  }, 60_000);

  it('write-ahead: no audit record, no write; a lost "applied" mark leaves the before recorded', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stahead',
      {
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        allowBlobPublicAccess: true,
        minimumTlsVersion: 'TLS1_2',
      },
      FAST_LRO,
    );
    const event = emulator.events().at(-1)!.eventGrid;
    const store = new MemoryAuditStore();
    let down: 'all' | 'applied' = 'all';
    const audit = Object.assign(Object.create(store) as MemoryAuditStore, {
      record: async (r: AuditRecord) => {
        if (down === 'all' || r.status === 'applied') throw new Error('table unavailable');
        return store.record(r);
      },
    });
    configureBot({
      env: { REFLEX_POLICY: policyYaml(), REFLEX_SUBSCRIPTION_IDS: SUB },
      connection: { ...armClientOptions(emulator, BOT), pollIntervalMs: 10 },
      tickets: new MemoryTicketSink(),
      audit,
    });
    const from = botWrites(emulator).length;
    // The audit table is down: nothing is written, and the delivery fails transiently (Event Grid retries).
    await expect(reflexEvents(event, context())).rejects.toThrow(/audit write-ahead failed/);
    expect(botWrites(emulator).slice(from)).toEqual([]);
    expect((await human.storage.storageAccounts.getProperties(RG, 'stahead')).allowBlobPublicAccess).toBe(true);

    down = 'applied';
    const retry = await reflexEvents({ ...event, id: `${event.id}-retry` }, context());
    const ps = retry.outcomes.find((o: Outcome) => o.rule === 'publicStorage')!;
    expect(ps.status).toBe('fixed');
    expect(ps.notes?.join()).toMatch(/stays "intended"/);
    expect(store.records.find((r) => r.fix.type === 'disallow-public-containers')).toMatchObject({
      status: 'intended',
      before: { allowBlobPublicAccess: true },
    });
  }, 60_000);
});
