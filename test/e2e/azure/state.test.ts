import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureBot, reflexEvents } from '@reflex/azure';
import type { Outcome, UndoResult } from '@reflex/core';
import { type ArmEmulator, type AzuriteTable, armClientOptions, startAzuriteTable } from '@reflex/sim';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOT, context, FAST_LRO, humanClients, manual, policyYaml, RG, SUB, startEmulator } from './harness.js';

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

const nsgId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-state`;

/** A bot as the Functions host builds it: everything from the environment, state in Azure Tables. */
function botFromEnv(extraEnv: Record<string, string> = {}, policy = policyYaml()) {
  return configureBot({
    env: {
      REFLEX_POLICY: policy,
      REFLEX_SUBSCRIPTION_IDS: SUB,
      REFLEX_STATE_CONNECTION_STRING: azurite.connectionString,
      REFLEX_AUDIT_TABLE: 'reflexaudit',
      REFLEX_STATE_TABLE: 'reflexstate',
      ...extraEnv,
    },
    connection: { ...armClientOptions(emulator, BOT), pollIntervalMs: 10 },
  });
}

describe('the app with its state in Azure Tables (azurite)', () => {
  it('contain is audited to the table; a fresh instance undoes it from there', async () => {
    const human = humanClients(emulator);
    await human.network.networkSecurityGroups.createOrUpdate(RG, 'nsg-state', { location: 'westeurope' }, FAST_LRO);
    const b = botFromEnv();
    expect(b.state.description).toMatch(/audit=reflexaudit state=reflexstate/);
    const res = await manual({ action: 'contain', resource: nsgId, reason: 'INC-11', requestedBy: 'dave' });
    const o = (res.jsonBody as { outcomes: Outcome[] }).outcomes[0]!;
    expect(o.status).toBe('fixed');
    const rows = await b.state.audit!.byRemediation(o.remediationId!);
    expect(rows).toMatchObject([
      {
        rule: 'contain',
        status: 'applied',
        correlation: { actor: 'function key', claimedBy: 'dave', reason: 'INC-11' },
      },
    ]);

    botFromEnv(); // another instance: nothing in memory
    const undone = await manual({
      action: 'undo',
      remediationId: o.remediationId,
      reason: 'INC-11 over',
      requestedBy: 'erin',
    });
    expect((undone.jsonBody as UndoResult).status).toBe('undone');
    expect((await human.network.networkSecurityGroups.get(RG, 'nsg-state')).securityRules).toEqual([]);
    const after = await b.state.audit!.byRemediation(o.remediationId!);
    expect(after.map((r) => [r.status, r.correlation.actor, r.correlation.claimedBy])).toEqual([
      ['applied', 'function key', 'dave'],
      ['undone', 'function key', 'erin'],
    ]);
  });

  it('tickets come from the policy through createTicketSinks (here: JSON lines to a file); the ledger is the table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reflex-tickets-'));
    const file = join(dir, 'tickets.jsonl');
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stticket',
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2', minimumTlsVersion: 'TLS1_0' },
      FAST_LRO,
    );
    const policy = `${policyYaml().replace('mode: enforce', 'mode: dry-run')}tickets:\n  jsonl:\n    path: ${file}\n`;
    botFromEnv({}, policy);
    const event = emulator.events().at(-1)!.eventGrid;
    const report = await reflexEvents(event, context());
    expect(report.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('ticketed');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.some((l) => l.includes('insecureTransport'))).toBe(true);
    // A fresh instance sees the event in the table ledger and does nothing.
    botFromEnv({}, policy);
    const again = await reflexEvents(event, context());
    expect(again.outcomes.every((o) => o.status === 'ignored' && /already handled/.test(o.reason))).toBe(true);
  });
});
