/**
 * The `az` commands a dry-run prints for one storage account must compose: no two set one property differently,
 * and run in any order they leave the account as enforce's one PATCH does. They are pasted into bash with an `az`
 * stub, and each call it receives is made through the SDK against the ARM emulator, whose state is compared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageAccountUpdateParameters } from '@azure/arm-storage';
import { reflexEvents } from '@reflex/azure';
import type { Ticket } from '@reflex/core';
import type { ArmEmulator } from '@reflex/sim';
import { afterAll, describe, expect, it } from 'vitest';
import { pasteIntoBash } from '../../pasteIntoBash.js';
import { armIds, botOnEmulator, context, FAST_LRO, humanClients, policyYaml, RG, SUB, useEmulator } from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});
const dir = mkdtempSync(join(tmpdir(), 'reflex-az-composed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAME = 'stcomposed';

/** The same account every time: public blobs allowed, HTTP allowed, TLS1_0, one public container, no logs. */
async function freshAccount() {
  emulator.reset();
  emulator.seedResourceGroup(RG, 'westeurope', SUB);
  const human = humanClients(emulator);
  await human.storage.storageAccounts.create(
    RG,
    NAME,
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
  await human.storage.blobContainers.create(RG, NAME, 'site', { publicAccess: 'Container' });
  return human;
}

async function state() {
  const human = humanClients(emulator);
  const a = await human.storage.storageAccounts.getProperties(RG, NAME);
  const c = await human.storage.blobContainers.get(RG, NAME, 'site');
  const settings = [];
  for await (const s of human.monitor.diagnosticSettings.list(`${armIds.account(NAME)}/blobServices/default`))
    settings.push({ name: s.name, workspaceId: s.workspaceId, logs: s.logs?.map((l) => [l.category, l.enabled]) });
  return {
    allowBlobPublicAccess: a.allowBlobPublicAccess,
    enableHttpsTrafficOnly: a.enableHttpsTrafficOnly,
    minimumTlsVersion: a.minimumTlsVersion,
    container: c.publicAccess,
    settings,
  };
}

/** The account's creation (a container's event judges public access only). */
const accountEvent = () => emulator.events().find((e) => e.eventGrid.subject === armIds.account(NAME))!.eventGrid;

const linesOf = (tickets: Ticket[]) => tickets.flatMap((t) => t.steps.map((s) => s.cli));

/** What each `az storage account update` flag sets. */
const ACCOUNT_FLAGS: Record<string, (v: string) => StorageAccountUpdateParameters> = {
  '--allow-blob-public-access': (v) => ({ allowBlobPublicAccess: v === 'true' }),
  '--https-only': (v) => ({ enableHttpsTrafficOnly: v === 'true' }),
  '--min-tls-version': (v) => ({ minimumTlsVersion: v }),
};

/** The flags after the sub-command, as name → value. */
const flagsOf = (args: string[]) =>
  Object.fromEntries(args.flatMap((a, i) => (a.startsWith('--') ? [[a, args[i + 1]!]] : [])));

/** The account properties each printed account update sets. */
function accountUpdates(lines: string[]): StorageAccountUpdateParameters[] {
  return pasteIntoBash(lines, dir)
    .map((calls) => calls[0]!)
    .filter((argv) => argv.slice(0, 4).join(' ') === 'az storage account update')
    .map((argv) =>
      Object.assign(
        {},
        ...Object.entries(flagsOf(argv.slice(4)))
          .filter(([flag]) => ACCOUNT_FLAGS[flag])
          .map(([flag, v]) => ACCOUNT_FLAGS[flag]!(v)),
      ),
    );
}

/** Pastes the lines into bash with the `az` stub, and makes each call it received through the SDK. */
async function run(lines: string[]): Promise<void> {
  const human = humanClients(emulator);
  for (const [i, calls] of pasteIntoBash(lines, dir).entries()) {
    expect(calls, lines[i]).toHaveLength(1);
    const argv = calls[0]!;
    const command = argv.slice(0, 4).join(' ');
    if (command === 'az storage account update') {
      const f = flagsOf(argv.slice(4));
      expect([f['--resource-group'], f['--name']]).toEqual([RG, NAME]);
      const patch = Object.assign(
        {},
        ...Object.entries(f)
          .filter(([flag]) => ACCOUNT_FLAGS[flag])
          .map(([flag, v]) => ACCOUNT_FLAGS[flag]!(v)),
      ) as StorageAccountUpdateParameters;
      // @azure/arm-storage 20.0.0 sends these only when it also sees them in PascalCase (see fixStorage.ts).
      Object.assign(patch, {
        ...(patch.allowBlobPublicAccess !== undefined ? { AllowBlobPublicAccess: patch.allowBlobPublicAccess } : {}),
        ...(patch.enableHttpsTrafficOnly !== undefined ? { EnableHttpsTrafficOnly: patch.enableHttpsTrafficOnly } : {}),
      });
      await human.storage.storageAccounts.update(RG, NAME, patch);
    } else if (command === 'az storage container-rm update') {
      const f = flagsOf(argv.slice(4));
      expect(f['--public-access']).toBe('off');
      await human.storage.blobContainers.update(f['--resource-group']!, f['--storage-account']!, f['--name']!, {
        publicAccess: 'None',
      });
    } else if (command === 'az monitor diagnostic-settings create') {
      const f = flagsOf(argv.slice(4));
      await human.monitor.diagnosticSettings.createOrUpdate(f['--resource']!, f['--name']!, {
        workspaceId: f['--workspace']!,
        logs: JSON.parse(f['--logs']!),
      });
    } else throw new Error(`a ticket printed a command this test does not know: ${argv.join(' ')}`);
  }
}

describe('the az commands of one storage account’s tickets, run against the ARM emulator', () => {
  it('set no property twice, and in either order leave what enforce leaves', async () => {
    await freshAccount();
    const enforceBot = botOnEmulator(emulator);
    await reflexEvents(accountEvent(), context());
    expect(enforceBot.audit.records.length).toBeGreaterThan(0);
    const enforced = await state();
    expect(enforced).toMatchObject({ allowBlobPublicAccess: false, enableHttpsTrafficOnly: true, container: 'None' });

    await freshAccount();
    const { tickets } = botOnEmulator(emulator, policyYaml().replace('mode: enforce', 'mode: dry-run'));
    await reflexEvents(accountEvent(), context());
    const lines = linesOf(tickets.tickets);
    expect(tickets.tickets.map((t) => t.rule).sort()).toEqual([
      'insecureTransport',
      'publicStorage',
      'storageWithoutLogging',
    ]);

    // No property is set by two commands: whichever runs last cannot undo another.
    const keys = accountUpdates(lines).flatMap((u) => Object.keys(u));
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(new Set(keys).size).toBe(keys.length);

    await freshAccount();
    await run(lines);
    expect(await state()).toEqual(enforced);

    await freshAccount();
    await run([...lines].reverse());
    expect(await state()).toEqual(enforced);
  });
});
