/**
 * The Event Grid function on the ARM emulator, fed the published samples (placeholders made real) with one field
 * deleted or replaced: it answers every event, makes no call for one it cannot use, and writes only under the
 * resource the event names.
 */
import { parseDelivery, reflexEvents } from '@reflex/azure';
import type { ArmEmulator } from '@reflex/sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { azureSamples, mutantOf } from '../../fuzz.js';
import { BOT, botOnEmulator, context, FAST_LRO, humanClients, RG, SUB, useEmulator, WRITES } from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

const ACCOUNT = 'stbroken';
const samples = azureSamples({ subscription: SUB, resourceGroup: RG, account: ACCOUNT });

describe('the Event Grid function on broken events', () => {
  it('answers each one, calls nothing for what it cannot use, and writes only under what the event names', async () => {
    const human = humanClients(emulator);
    const open = { allowBlobPublicAccess: true, enableHttpsTrafficOnly: false };
    await human.storage.storageAccounts.create(
      RG,
      ACCOUNT,
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2', ...open },
      FAST_LRO,
    );
    let acted = 0;
    await fc.assert(
      fc.asyncProperty(mutantOf(samples), async ({ event }) => {
        // arm-storage 20 sends `properties` on update only with a PascalCase marker (see fixStorage.ts).
        await human.storage.storageAccounts.update(
          RG,
          ACCOUNT,
          Object.assign({ ...open }, { AllowBlobPublicAccess: true }),
        );
        // A bot per run: its event ledger must not skip a mutant that kept its sample's id.
        botOnEmulator(emulator);
        const from = emulator.calls().length;
        const report = await reflexEvents(event, context());
        const verdicts = parseDelivery(event);
        expect(report.outcomes.length + report.ignored.length).toBeGreaterThanOrEqual(verdicts.length);
        const mine = emulator
          .calls()
          .slice(from)
          .filter((c) => c.principal.oid === BOT.oid);
        if (!verdicts.some((v) => v.kind === 'targets')) expect(mine).toEqual([]);
        const text = (JSON.stringify(event) ?? '').toLowerCase();
        const writes = mine.filter((c) => WRITES.has(c.method));
        for (const w of writes) {
          expect(w.path.toLowerCase()).toContain(`/storageaccounts/${ACCOUNT}`);
          expect(text).toContain(ACCOUNT);
        }
        if (writes.length > 0) acted++;
      }),
      { numRuns: 80 },
    );
    expect(acted).toBeGreaterThan(10);
  }, 120_000);
});
