import type { DiagnosticSettingsResource } from '@azure/arm-monitor';
import type { StorageAccount } from '@azure/arm-storage';
import { type ContainerAccess, parseArmId, type ResourceRef, type StoragePosture } from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { isNotFound } from '../arm/errors.js';

/** Categories a blob-service diagnostic setting must send for access to count as logged. */
export const BLOB_LOG_CATEGORIES = ['StorageRead', 'StorageWrite', 'StorageDelete'] as const;

export function accountLocation(ref: ResourceRef): { resourceGroup: string; account: string } {
  const arm = parseArmId(ref.id);
  return { resourceGroup: arm.resourceGroup ?? '', account: arm.names[0]! };
}

export function blobServiceId(accountId: string): string {
  return `${accountId}/blobServices/default`;
}

/** A setting logs access when it sends read, write and delete (or the allLogs group) to a Log Analytics workspace. */
export function logsBlobAccess(s: DiagnosticSettingsResource): boolean {
  if (!s.workspaceId) return false;
  const on = (s.logs ?? []).filter((l) => l.enabled);
  if (on.some((l) => l.categoryGroup?.toLowerCase() === 'alllogs')) return true;
  const categories = new Set(on.map((l) => l.category?.toLowerCase()));
  return BLOB_LOG_CATEGORIES.every((c) => categories.has(c.toLowerCase()));
}

/** `https://vault.vault.azure.net/keys/name[/version]`, the form the policy names a key in. */
export function keyIdOf(account: StorageAccount): string | undefined {
  const kv = account.encryption?.keyVaultProperties;
  if (!kv?.keyVaultUri || !kv.keyName) return undefined;
  return `${kv.keyVaultUri.replace(/\/+$/, '')}/keys/${kv.keyName}${kv.keyVersion ? `/${kv.keyVersion}` : ''}`;
}

/** The storage account's posture; null when it no longer exists. */
export async function readStorageAccount(clients: ArmClients, ref: ResourceRef): Promise<StoragePosture | null> {
  const { resourceGroup, account: name } = accountLocation(ref);
  let account: StorageAccount;
  try {
    account = await clients.storage.storageAccounts.getProperties(resourceGroup, name);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  const accountId = account.id ?? ref.id;
  const [containers, settings] = await Promise.all([
    collect(clients.storage.blobContainers.list(resourceGroup, name)),
    collect(clients.monitor.diagnosticSettings.list(blobServiceId(accountId))).catch((err: unknown) => {
      // No blob service (e.g. a FileStorage account) means nothing to log there.
      if (isNotFound(err)) return [] as DiagnosticSettingsResource[];
      throw err;
    }),
  ]);
  const logging = settings.find(logsBlobAccess);
  const enc = account.encryption;
  const keyId = keyIdOf(account);
  return {
    kind: 'storage',
    ref: { ...ref, region: ref.region || account.location || '' },
    publicAccess: {
      // Accounts created before the property existed return nothing, and then containers may be public.
      allowBlobPublicAccess: account.allowBlobPublicAccess ?? true,
      containers: containers.map((c) => ({
        name: c.name ?? '',
        id: c.id ?? '',
        publicAccess: (c.publicAccess ?? 'None') as ContainerAccess,
      })),
    },
    encryption: {
      // Platform encryption at rest is always on unless the service says otherwise.
      enabled: enc?.services?.blob?.enabled !== false,
      algorithm: enc?.keySource ?? 'Microsoft.Storage',
      ...(keyId ? { keyId } : {}),
      infrastructure: enc?.requireInfrastructureEncryption === true,
    },
    logging: logging
      ? { enabled: true, target: logging.workspaceId!, ...(logging.name ? { setting: logging.name } : {}) }
      : { enabled: false },
    transport: {
      httpsOnly: account.enableHttpsTrafficOnly === true,
      ...(account.minimumTlsVersion ? { minimumTls: account.minimumTlsVersion } : {}),
    },
    tags: account.tags ?? {},
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
