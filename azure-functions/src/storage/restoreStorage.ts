import type { StorageAccount, StorageAccountUpdateParameters } from '@azure/arm-storage';
import type { AuditRecord, RestoreResult } from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { isNotFound } from '../arm/errors.js';
import { RequestIds } from '../arm/requestIds.js';
import { differencesFrom, sameValue, show, withoutContainedTag } from '../containment.js';
import { withSdkPropertyMarkers } from './accountPatch.js';
import { type AccountNetworkState, networkStateOf } from './containStorage.js';
import { LOG_SETTING_NAME } from './fixStorage.js';
import { accountLocation, blobServiceId } from './readStorage.js';

type Json = Record<string, unknown>;
type Plan = { differences: string[]; writes: (() => Promise<unknown>)[] };

/** The account fields the account-PATCH fixes write, in the record's names. */
function accountFields(a: StorageAccount): Json {
  return {
    allowBlobPublicAccess: a.allowBlobPublicAccess ?? null,
    enableHttpsTrafficOnly: a.enableHttpsTrafficOnly ?? null,
    minimumTlsVersion: a.minimumTlsVersion ?? null,
  };
}

/**
 * Compares the fields a step wrote with their current values: all as written → restore; all back at their
 * "before" → nothing to do (an undo that is retried); anything else → the differences.
 */
function judge(what: string, current: Json, before: Json, after: Json): 'restore' | 'done' | string[] {
  const keys = Object.keys(after);
  if (keys.every((k) => sameValue(current[k], after[k]))) return 'restore';
  if (keys.every((k) => sameValue(current[k], before[k] ?? null))) return 'done';
  return differencesFrom(what, current, after);
}

async function planStorageUndo(clients: ArmClients, record: AuditRecord, ids: RequestIds): Promise<Plan> {
  const { resourceGroup, account: name } = accountLocation(record.resource);
  const storage = clients.storage;
  const opts = { onResponse: ids.capture };
  let account: StorageAccount;
  try {
    account = await storage.storageAccounts.getProperties(resourceGroup, name);
  } catch (err) {
    if (isNotFound(err)) return { differences: [`${record.resource.id} no longer exists`], writes: [] };
    throw err;
  }
  const before = (record.before ?? {}) as Json;
  const after = (record.after ?? {}) as Json;
  const none: Plan = { differences: [], writes: [] };

  switch (record.fix.type) {
    case 'disallow-public-containers':
    case 'require-secure-transport': {
      const verdict = judge(`account ${name}`, accountFields(account), before, after);
      if (verdict === 'done') return none;
      if (verdict !== 'restore') return { differences: verdict, writes: [] };
      // A value the account never had (null) cannot be written back; the property keeps its current value.
      const patch = Object.fromEntries(
        Object.keys(after)
          .filter((k) => before[k] !== null && before[k] !== undefined)
          .map((k) => [k, before[k]]),
      ) as StorageAccountUpdateParameters;
      return {
        differences: [],
        writes: [() => storage.storageAccounts.update(resourceGroup, name, withSdkPropertyMarkers(patch), opts)],
      };
    }
    case 'set-container-access': {
      // Older records kept the container list alone.
      const list = Array.isArray(record.before) ? record.before : (before['containers'] ?? []);
      const was = (list as { name: string; publicAccess: string }[]).filter((c) => c.publicAccess !== 'None');
      const differences: string[] = [];
      const writes: (() => Promise<unknown>)[] = [];
      const restoreContainers: { name: string; publicAccess: string }[] = [];
      for (const c of was) {
        let current: string;
        try {
          current = (await storage.blobContainers.get(resourceGroup, name, c.name)).publicAccess ?? 'None';
        } catch (err) {
          if (!isNotFound(err)) throw err;
          differences.push(`container ${c.name} no longer exists`);
          continue;
        }
        if (current === c.publicAccess) continue;
        if (current !== 'None')
          differences.push(`container ${c.name}: publicAccess is ${show(current)} (Reflex wrote "None")`);
        else restoreContainers.push(c);
      }
      if (differences.length > 0 || restoreContainers.length === 0) return { differences, writes: [] };
      // Public container access needs the account to allow it. The account step of the same remediation (the
      // engine undoes it right after this one) puts allowBlobPublicAccess back anyway, so it goes first here.
      if (account.allowBlobPublicAccess === false && before['allowBlobPublicAccess'] !== false) {
        writes.push(() =>
          storage.storageAccounts.update(
            resourceGroup,
            name,
            withSdkPropertyMarkers({ allowBlobPublicAccess: true }),
            opts,
          ),
        );
      }
      for (const c of restoreContainers) {
        writes.push(() =>
          storage.blobContainers.update(resourceGroup, name, c.name, { publicAccess: c.publicAccess as 'Blob' }, opts),
        );
      }
      return { differences: [], writes };
    }
    case 'enable-logging': {
      if (before['diagnosticSetting']) {
        return {
          differences: [`a logging setting (${before['diagnosticSetting']}) existed before; nothing to undo`],
          writes: [],
        };
      }
      const scope = blobServiceId(account.id ?? record.resource.id);
      let setting: Awaited<ReturnType<typeof clients.monitor.diagnosticSettings.get>>;
      try {
        setting = await clients.monitor.diagnosticSettings.get(scope, LOG_SETTING_NAME);
      } catch (err) {
        if (isNotFound(err)) return none; // already gone
        throw err;
      }
      if (!sameValue(setting.workspaceId, after['workspaceId'])) {
        return {
          differences: [
            `diagnostic setting ${LOG_SETTING_NAME}: workspaceId is ${show(setting.workspaceId)} (Reflex wrote ${show(after['workspaceId'])})`,
          ],
          writes: [],
        };
      }
      return {
        differences: [],
        writes: [() => clients.monitor.diagnosticSettings.delete(scope, LOG_SETTING_NAME, opts)],
      };
    }
    case 'enable-encryption': {
      const current = {
        keySource: account.encryption?.keySource ?? null,
        keyVault: account.encryption?.keyVaultProperties ?? null,
      };
      const wrote = { keySource: after['keySource'] ?? null };
      if (sameValue(current.keySource, before['keySource'])) return none;
      if (!sameValue(current.keySource, wrote.keySource))
        return { differences: differencesFrom(`account ${name} encryption`, current, wrote), writes: [] };
      if (before['keySource'] !== 'Microsoft.Storage') {
        return {
          differences: [
            `encryption was ${show(before['keySource'])} before; Reflex only puts back Microsoft-managed keys`,
          ],
          writes: [],
        };
      }
      return {
        differences: [],
        writes: [
          () =>
            storage.storageAccounts.update(
              resourceGroup,
              name,
              { encryption: { keySource: 'Microsoft.Storage' } },
              opts,
            ),
        ],
      };
    }
    case 'isolate': {
      const was = before as unknown as AccountNetworkState;
      const wrote = after as unknown as AccountNetworkState;
      const now = networkStateOf(account);
      const fields = { publicNetworkAccess: now.publicNetworkAccess, defaultAction: now.defaultAction };
      const verdict = judge(
        `account ${name}`,
        fields,
        { publicNetworkAccess: was.publicNetworkAccess, defaultAction: was.defaultAction },
        { publicNetworkAccess: wrote.publicNetworkAccess, defaultAction: wrote.defaultAction },
      );
      if (verdict !== 'restore' && verdict !== 'done') return { differences: verdict, writes: [] };
      const tagIsOurs = now.tag === wrote.tag;
      if (verdict === 'done' && !tagIsOurs) return none;
      const patch: StorageAccountUpdateParameters = {
        ...(verdict === 'restore'
          ? {
              // An account that never set it had public network access enabled.
              publicNetworkAccess: (was.publicNetworkAccess ?? 'Enabled') as 'Enabled',
              networkRuleSet: { ...(account.networkRuleSet ?? {}), defaultAction: was.defaultAction as 'Allow' },
            }
          : {}),
        ...(tagIsOurs ? { tags: withoutContainedTag(account.tags, was.tag) } : {}),
      };
      return {
        differences: [],
        writes: [() => storage.storageAccounts.update(resourceGroup, name, withSdkPropertyMarkers(patch), opts)],
      };
    }
    default:
      return { differences: [`Reflex cannot undo ${record.fix.type} on a storage account`], writes: [] };
  }
}

/** Restores one storage step of an audit record; with `check`, reads only. */
export async function restoreStorageStep(
  clients: ArmClients,
  record: AuditRecord,
  check: boolean,
): Promise<RestoreResult> {
  const ids = new RequestIds();
  const plan = await planStorageUndo(clients, record, ids);
  if (plan.differences.length > 0) return { status: 'refused', differences: plan.differences };
  if (check) return { status: 'restorable', requestIds: [] };
  for (const write of plan.writes) await write();
  return { status: 'restored', requestIds: ids.list('StorageAccounts_Update') };
}
