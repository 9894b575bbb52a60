import { createHash } from 'node:crypto';
import type { FlowLog, NetworkWatcher, VirtualNetwork } from '@azure/arm-network';
import {
  type AuditRecord,
  type CallDescription,
  type Fix,
  type NetworkPosture,
  parseArmId,
  type ResourceRef,
  ResourceTypes,
  type RestoreResult,
  refFromArmId,
  type Step,
  type StepSettlement,
  UnsupportedResourceError,
} from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { isNotFound } from '../arm/errors.js';
import { RequestIds } from '../arm/requestIds.js';
import { differencesFrom, sameValue } from '../containment.js';

/** Flow-log settings that come from the policy, not from the finding. */
export interface FlowLogSettings {
  /** Log Analytics workspace (ARM id) for traffic analytics; none: flow logs to storage only. */
  workspaceId?: string;
  retentionDays?: number;
}

export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 90;

const region = (location: string | undefined) => (location ?? '').toLowerCase().replace(/\s+/g, '');
const sameId = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

function vnetLocation(ref: ResourceRef): { resourceGroup: string; vnet: string } {
  const arm = parseArmId(ref.id);
  return { resourceGroup: arm.resourceGroup ?? '', vnet: arm.names[0]! };
}

function watcherLocation(id: string): { resourceGroup: string; watcher: string } {
  const arm = parseArmId(id);
  return { resourceGroup: arm.resourceGroup ?? '', watcher: arm.names[0]! };
}

/** The name Reflex gives a VNet's flow log: stable per VNet, so a retried fix overwrites instead of duplicating. */
export function flowLogName(vnetId: string, vnetName: string): string {
  const hash = createHash('sha256').update(vnetId.toLowerCase()).digest('hex').slice(0, 8);
  return `reflex-${vnetName.slice(0, 60)}-${hash}`;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The subscription's network watchers in a region (Azure keeps one per region, usually `NetworkWatcher_<region>`). */
async function watchersIn(clients: ArmClients, location: string): Promise<NetworkWatcher[]> {
  const all = await collect(clients.network.networkWatchers.listAll());
  return all.filter((w) => region(w.location) === region(location));
}

/** Flow logs (in the VNet's region's watchers) whose target is this VNet. */
async function flowLogsOf(
  clients: ArmClients,
  vnet: VirtualNetwork,
): Promise<{ watcher: NetworkWatcher; log: FlowLog }[]> {
  const out: { watcher: NetworkWatcher; log: FlowLog }[] = [];
  for (const watcher of await watchersIn(clients, vnet.location ?? '')) {
    const { resourceGroup, watcher: name } = watcherLocation(watcher.id!);
    for (const log of await collect(clients.network.flowLogs.list(resourceGroup, name))) {
      if (sameId(log.targetResourceId, vnet.id)) out.push({ watcher, log });
    }
  }
  return out;
}

/** A virtual network and its VNet flow logs; null when the VNet no longer exists. */
export async function readVirtualNetwork(clients: ArmClients, ref: ResourceRef): Promise<NetworkPosture | null> {
  const { resourceGroup, vnet: name } = vnetLocation(ref);
  let vnet: VirtualNetwork;
  try {
    vnet = await clients.network.virtualNetworks.get(resourceGroup, name);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  const logs = await flowLogsOf(clients, { ...vnet, id: vnet.id ?? ref.id });
  return {
    kind: 'network',
    ref: { ...ref, region: ref.region || vnet.location || '' },
    flowLogs: logs.map(({ log }) => ({
      id: log.id ?? '',
      ...(log.storageId ? { destination: log.storageId } : {}),
      active: log.enabled === true && log.provisioningState !== 'Failed',
    })),
    tags: vnet.tags ?? {},
  };
}

function flowLogBody(vnet: VirtualNetwork, storageId: string, settings: FlowLogSettings, base?: FlowLog): FlowLog {
  const days = settings.retentionDays ?? DEFAULT_FLOW_LOG_RETENTION_DAYS;
  const workspace = settings.workspaceId;
  return {
    location: vnet.location,
    ...(base?.tags ? { tags: base.tags } : {}),
    targetResourceId: vnet.id,
    storageId: base?.storageId ?? storageId,
    enabled: true,
    retentionPolicy: base?.retentionPolicy ?? { days, enabled: true },
    format: base?.format ?? { type: 'JSON', version: 2 },
    ...(workspace
      ? {
          flowAnalyticsConfiguration: {
            networkWatcherFlowAnalyticsConfiguration: {
              enabled: true,
              workspaceResourceId: workspace,
              trafficAnalyticsInterval: 60,
            },
          },
        }
      : base?.flowAnalyticsConfiguration
        ? { flowAnalyticsConfiguration: base.flowAnalyticsConfiguration }
        : {}),
  };
}

export function describeFlowLogFix(fix: Fix, p: NetworkPosture): CallDescription[] {
  if (fix.type !== 'enable-flow-logs') return [];
  const name = flowLogName(p.ref.id, p.ref.name);
  const region = p.ref.region || '<vnet region>';
  return [
    {
      api: `PUT /subscriptions/${p.ref.account}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_${region}/flowLogs/${name} (FlowLogs_CreateOrUpdate) target=${p.ref.id}`,
      argv: [
        'az',
        'network',
        'watcher',
        'flow-log',
        'create',
        '--location',
        region,
        '--name',
        name,
        '--vnet',
        p.ref.id,
        '--storage-account',
        fix.destination,
        '--enabled',
        'true',
        '--retention',
        String(DEFAULT_FLOW_LOG_RETENTION_DAYS),
      ],
      permission: 'Microsoft.Network/networkWatchers/flowLogs/write',
    },
  ];
}

/**
 * Turns on VNet flow logs: an existing inactive flow log of the VNet is enabled in place (its own storage and
 * retention kept); otherwise one is created in the network watcher of the VNet's region, named for the VNet.
 * Azure requires the storage account to be in the VNet's region. No watcher in the region: fails with the reason.
 */
export async function applyFlowLogSteps(
  clients: ArmClients,
  steps: Step[],
  p: NetworkPosture,
  settings: FlowLogSettings,
): Promise<StepSettlement[]> {
  const out: StepSettlement[] = [];
  for (const step of steps) {
    const fix = step.fix;
    try {
      if (fix.type !== 'enable-flow-logs')
        throw new UnsupportedResourceError(`fix ${fix.type} does not apply to a virtual network`);
      const { resourceGroup, vnet: vnetName } = vnetLocation(p.ref);
      const vnet = await clients.network.virtualNetworks.get(resourceGroup, vnetName);
      const existing = (await flowLogsOf(clients, vnet)).find(({ log }) => log.enabled !== true);
      const watcher = existing?.watcher ?? (await watchersIn(clients, vnet.location ?? ''))[0];
      if (!watcher?.id) {
        throw new UnsupportedResourceError(
          `no network watcher in ${vnet.location} for subscription ${p.ref.account}; enable Network Watcher in that region first`,
        );
      }
      const { resourceGroup: wg, watcher: wn } = watcherLocation(watcher.id);
      const name = existing?.log.name ?? flowLogName(vnet.id ?? p.ref.id, vnetName);
      const ids = new RequestIds();
      const written = await clients.network.flowLogs.createOrUpdate(
        wg,
        wn,
        name,
        flowLogBody(vnet, fix.destination, settings, existing?.log),
        { ...clients.lro, onResponse: ids.capture },
      );
      out.push({
        ok: true,
        result: {
          before: { flowLog: existing?.log ?? null },
          after: {
            flowLog: written.id,
            targetResourceId: written.targetResourceId,
            storageId: written.storageId,
            enabled: written.enabled,
          },
          requestIds: ids.list('FlowLogs_CreateOrUpdate'),
        },
      });
    } catch (error) {
      out.push({ ok: false, error });
    }
  }
  return out;
}

const FLOW_LOG_READ_ONLY = new Set(['id', 'name', 'etag', 'type', 'provisioningState', 'targetResourceGuid']);

/** Undo of enable-flow-logs: a created flow log (still as written) is deleted; a re-enabled one gets its old document back. */
export async function restoreFlowLogStep(
  clients: ArmClients,
  record: AuditRecord,
  check: boolean,
): Promise<RestoreResult> {
  const after = (record.after ?? {}) as {
    flowLog?: string;
    targetResourceId?: string;
    storageId?: string;
    enabled?: boolean;
  };
  const before = (record.before ?? {}) as { flowLog?: FlowLog | null };
  if (!after.flowLog) return { status: 'refused', differences: ['the audit record names no flow log'] };
  const { resourceGroup, watcher } = watcherLocation(after.flowLog);
  const name = parseArmId(after.flowLog).names[1]!;
  let current: FlowLog | undefined;
  try {
    current = await clients.network.flowLogs.get(resourceGroup, watcher, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const ids = new RequestIds();
  const opts = { ...clients.lro, onResponse: ids.capture };
  if (!current) {
    if (!before.flowLog)
      return check ? { status: 'restorable', requestIds: [] } : { status: 'restored', requestIds: [] };
    return { status: 'refused', differences: [`flow log ${name} no longer exists`] };
  }
  const wrote = { targetResourceId: after.targetResourceId, storageId: after.storageId, enabled: after.enabled };
  const now = { targetResourceId: current.targetResourceId, storageId: current.storageId, enabled: current.enabled };
  if (
    before.flowLog &&
    sameValue(now.enabled, before.flowLog.enabled ?? null) &&
    sameId(now.storageId, before.flowLog.storageId)
  ) {
    return check ? { status: 'restorable', requestIds: [] } : { status: 'restored', requestIds: [] };
  }
  if (
    !sameId(now.targetResourceId, wrote.targetResourceId) ||
    !sameId(now.storageId, wrote.storageId) ||
    now.enabled !== wrote.enabled
  ) {
    return { status: 'refused', differences: differencesFrom(`flow log ${name}`, now, wrote) };
  }
  if (check) return { status: 'restorable', requestIds: [] };
  if (!before.flowLog) await clients.network.flowLogs.delete(resourceGroup, watcher, name, opts);
  else {
    const doc = Object.fromEntries(
      Object.entries(before.flowLog).filter(([k, v]) => !FLOW_LOG_READ_ONLY.has(k) && v !== undefined && v !== null),
    ) as FlowLog;
    await clients.network.flowLogs.createOrUpdate(resourceGroup, watcher, name, doc, opts);
  }
  return { status: 'restored', requestIds: ids.list('FlowLogs_Delete/CreateOrUpdate') };
}

/**
 * The VNet(s) a flow-log event concerns. A written flow log names its target. A deleted one cannot be read,
 * so every VNet in the watcher's region is a target (each is re-read and only one without flow logs is fixed).
 */
export async function vnetTargetsForFlowLog(clients: ArmClients, flowLogId: string): Promise<ResourceRef[]> {
  const { resourceGroup, watcher } = watcherLocation(flowLogId);
  const name = parseArmId(flowLogId).names[1]!;
  try {
    const log = await clients.network.flowLogs.get(resourceGroup, watcher, name);
    if (
      log.targetResourceId &&
      parseArmId(log.targetResourceId).type.toLowerCase() === ResourceTypes.vnet.toLowerCase()
    ) {
      return [refFromArmId(log.targetResourceId)];
    }
    return [];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  let location: string;
  try {
    location = (await clients.network.networkWatchers.get(resourceGroup, watcher)).location ?? '';
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const vnets = await collect(clients.network.virtualNetworks.listAll());
  return vnets
    .filter((v) => v.id && region(v.location) === region(location))
    .map((v) => refFromArmId(v.id!, { region: v.location ?? '' }));
}
