import { reflexEvents } from '@reflex/azure';
import type { ArmEmulator } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import { botOnEmulator, botWrites, context, FAST_LRO, humanClients, policyYaml, RG, useEmulator } from './harness.js';

/** A fix never lowers a setting that is already stricter than the policy asks (issue 18, item 8). */
let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

async function account(name: string, minimumTlsVersion: string) {
  const human = humanClients(emulator);
  await human.storage.storageAccounts.create(
    RG,
    name,
    {
      location: 'westeurope',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: false,
      minimumTlsVersion,
    },
    FAST_LRO,
  );
  return human;
}

describe('insecureTransport on the ARM emulator', () => {
  it('HTTP allowed with TLS1_3: HTTPS-only turned on, TLS1_3 kept (not lowered to the policy TLS1_2)', async () => {
    const human = await account('sttls13', 'TLS1_3');
    botOnEmulator(emulator);
    const report = await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    expect(report.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('fixed');
    const patch = botWrites(emulator).find((c) => c.method === 'PATCH')!;
    expect(patch.requestBody).toMatchObject({ properties: { supportsHttpsTrafficOnly: true } });
    expect(JSON.stringify(patch.requestBody)).not.toContain('minimumTlsVersion');
    const after = await human.storage.storageAccounts.getProperties(RG, 'sttls13');
    expect(after.enableHttpsTrafficOnly).toBe(true);
    expect(after.minimumTlsVersion).toBe('TLS1_3');
  });

  it('TLS1_2 under a TLS1_3 policy is raised; TLS1_3 under a TLS1_2 policy is compliant and untouched', async () => {
    const human = await account('sttls12', 'TLS1_2');
    await human.storage.storageAccounts.update(RG, 'sttls12', { enableHttpsTrafficOnly: true });
    botOnEmulator(emulator, policyYaml().replace('rules:\n', 'rules:\n  insecureTransport: { minimumTls: TLS1_3 }\n'));
    const humanWrite = emulator.events().at(-1)!.eventGrid;
    const raised = await reflexEvents(humanWrite, context());
    expect(raised.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('fixed');
    expect((await human.storage.storageAccounts.getProperties(RG, 'sttls12')).minimumTlsVersion).toBe('TLS1_3');

    botOnEmulator(emulator);
    const writes = botWrites(emulator).length;
    const again = await reflexEvents({ ...humanWrite, id: `${humanWrite.id}-again` }, context());
    expect(again.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('compliant');
    expect(botWrites(emulator).length).toBe(writes);
    expect((await human.storage.storageAccounts.getProperties(RG, 'sttls12')).minimumTlsVersion).toBe('TLS1_3');
  });
});
