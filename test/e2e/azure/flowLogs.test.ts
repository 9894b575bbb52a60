import { flowLogName, reflexEvents, reflexSweep } from '@reflex/azure';
import type { UndoResult } from '@reflex/core';
import type { ArmEmulator } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import {
  armIds,
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
} from './harness.js';

let emulator: ArmEmulator;
useEmulator(
  (e) => {
    emulator = e;
  },
  ['NetworkWatcherRG'],
);

const FLOW_STORAGE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/stflowlogs`;
const vnetId = armIds.vnet;
/** policyYaml puts `extra` after `allow`; the flow-log settings belong under `rules`. */
function policyWithFlowLogs(): string {
  return policyYaml().replace(
    'rules:\n',
    `rules:\n  networkWithoutFlowLogs:\n    azure:\n      storageAccountId: ${FLOW_STORAGE}\n      workspaceId: ${WORKSPACE}\n`,
  );
}

async function estate(opts: { watcher?: boolean } = {}) {
  const human = humanClients(emulator);
  if (opts.watcher !== false) {
    await human.network.networkWatchers.createOrUpdate('NetworkWatcherRG', 'NetworkWatcher_westeurope', {
      location: 'westeurope',
    });
  }
  await human.network.virtualNetworks.createOrUpdate(
    RG,
    'vnet-app',
    {
      location: 'westeurope',
      addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
      subnets: [{ name: 'default', addressPrefix: '10.1.0.0/24' }],
    },
    FAST_LRO,
  );
  return human;
}

async function flowLogs() {
  const out = [];
  for await (const f of humanClients(emulator).network.flowLogs.list('NetworkWatcherRG', 'NetworkWatcher_westeurope'))
    out.push(f);
  return out;
}

describe('VNet flow logs (networkWithoutFlowLogs on Azure)', () => {
  it('a new VNet without flow logs: a VNet flow log is created in the region’s watcher, verified; the redelivery is compliant', async () => {
    await estate();
    botOnEmulator(emulator, policyWithFlowLogs());
    const event = emulator.events().at(-1)!;
    const report = await reflexEvents(event.eventGrid, context());
    const o = report.outcomes.find((x) => x.rule === 'networkWithoutFlowLogs')!;
    expect(o.status, o.reason).toBe('fixed');

    const logs = await flowLogs();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      name: flowLogName(vnetId('vnet-app'), 'vnet-app'),
      targetResourceId: vnetId('vnet-app'),
      storageId: FLOW_STORAGE,
      enabled: true,
      retentionPolicy: { days: 90, enabled: true },
      flowAnalyticsConfiguration: {
        networkWatcherFlowAnalyticsConfiguration: { enabled: true, workspaceResourceId: WORKSPACE },
      },
    });
    expect(botWrites(emulator).map((c) => c.operationId)).toEqual(['FlowLogs_CreateOrUpdate']);

    const again = await reflexEvents({ ...event.eventGrid, id: `${event.eventGrid.id}-2` }, context());
    expect(again.outcomes.find((x) => x.rule === 'networkWithoutFlowLogs')?.status).toBe('compliant');
  });

  it('a deleted flow log: the delete event leads back to the VNet, and the flow log is re-created', async () => {
    const human = await estate();
    botOnEmulator(emulator, policyWithFlowLogs());
    await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    const [log] = await flowLogs();
    await human.network.flowLogs.delete('NetworkWatcherRG', 'NetworkWatcher_westeurope', log!.name!, FAST_LRO);
    const deleted = emulator.events().at(-1)!;
    expect(deleted.eventGrid.eventType).toBe('Microsoft.Resources.ResourceDeleteSuccess');

    const report = await reflexEvents(deleted.eventGrid, context());
    const o = report.outcomes.find((x) => x.rule === 'networkWithoutFlowLogs')!;
    expect(o.resource.id.toLowerCase()).toBe(vnetId('vnet-app').toLowerCase());
    expect(o.status).toBe('fixed');
    expect(await flowLogs()).toHaveLength(1);
  });

  it('undo deletes the flow log Reflex created; a disabled one is re-enabled in place and undo disables it again', async () => {
    const human = await estate();
    botOnEmulator(emulator, policyWithFlowLogs());
    const report = await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    const o = report.outcomes.find((x) => x.rule === 'networkWithoutFlowLogs')!;
    const res = await manual({ action: 'undo', remediationId: o.remediationId, reason: 'cost' });
    expect((res.jsonBody as UndoResult).status).toBe('undone');
    expect(await flowLogs()).toEqual([]);

    await human.network.flowLogs.createOrUpdate(
      'NetworkWatcherRG',
      'NetworkWatcher_westeurope',
      'team-flowlog',
      { location: 'westeurope', targetResourceId: vnetId('vnet-app'), storageId: `${FLOW_STORAGE}2`, enabled: false },
      FAST_LRO,
    );
    const second = await reflexEvents(emulator.events().at(-1)!.eventGrid, context());
    const fixed = second.outcomes.find((x) => x.rule === 'networkWithoutFlowLogs')!;
    expect(fixed.status).toBe('fixed');
    const [enabled] = await flowLogs();
    expect(enabled).toMatchObject({ name: 'team-flowlog', enabled: true, storageId: `${FLOW_STORAGE}2` });
    expect((await manual({ action: 'undo', remediationId: fixed.remediationId, reason: 'cost' })).status).toBe(200);
    const [back] = await flowLogs();
    expect(back).toMatchObject({ name: 'team-flowlog', enabled: false });
  });

  it('no network watcher in the region: failed with the reason; the sweep includes VNets', async () => {
    await estate({ watcher: false });
    botOnEmulator(emulator, policyWithFlowLogs());
    const report = await reflexSweep({} as never, context('reflexSweep'));
    const o = report.outcomes.find((x) => x.resource.id.toLowerCase() === vnetId('vnet-app').toLowerCase())!;
    expect(o.rule).toBe('networkWithoutFlowLogs');
    expect(o.status).toBe('failed');
    expect(o.reason).toMatch(/no network watcher in westeurope/);
  });
});
