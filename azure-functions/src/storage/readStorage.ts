import type { DiagnosticSettingsResource } from '@azure/arm-monitor';
import type { ListContainerItem, StorageAccount } from '@azure/arm-storage';
import {
  type ContainerAccess,
  type Fix,
  parseArmId,
  quiet,
  type ResourceRef,
  ResourceTypes,
  type RuleName,
  type Step,
  type StoragePosture,
} from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { isNotFound } from '../arm/errors.js';

/** Categories a blob-service diagnostic setting must send for access to count as logged. */
export const BLOB_LOG_CATEGORIES = ['StorageRead', 'StorageWrite', 'StorageDelete'] as const;

export function accountLocation(ref: ResourceRef): { resourceGroup: string; account: string } {
  // A ref made from the account's id already names both (refFromArmId); parse only what came otherwise.
  if (ref.type === ResourceTypes.storageAccount && ref.resourceGroup && ref.name)
    return { resourceGroup: ref.resourceGroup, account: ref.name };
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

type AccountFacets = Omit<StoragePosture, 'kind' | 'publicAccess' | 'logging'> & {
  allowBlobPublicAccess: boolean;
};

/** What the account document itself says (everything but the containers and the diagnostic settings). */
function accountFacets(ref: ResourceRef, account: StorageAccount): AccountFacets {
  const enc = account.encryption;
  const keyId = keyIdOf(account);
  return {
    ref: { ...ref, region: ref.region || account.location || '' },
    // Accounts created before the property existed return nothing, and then containers may be public.
    allowBlobPublicAccess: account.allowBlobPublicAccess ?? true,
    encryption: {
      // Platform encryption at rest is always on unless the service says otherwise.
      enabled: enc?.services?.blob?.enabled !== false,
      algorithm: enc?.keySource ?? 'Microsoft.Storage',
      ...(keyId ? { keyId } : {}),
      infrastructure: enc?.requireInfrastructureEncryption === true,
    },
    transport: {
      httpsOnly: account.enableHttpsTrafficOnly === true,
      ...(account.minimumTlsVersion ? { minimumTls: account.minimumTlsVersion } : {}),
    },
    tags: account.tags ?? {},
  };
}

function containersOf(containers: ListContainerItem[]): StoragePosture['publicAccess']['containers'] {
  return containers.map((c) => ({
    name: c.name ?? '',
    id: c.id ?? '',
    publicAccess: (c.publicAccess ?? 'None') as ContainerAccess,
  }));
}

function loggingOf(settings: DiagnosticSettingsResource[]): StoragePosture['logging'] {
  const logging = settings.find(logsBlobAccess);
  return logging
    ? { enabled: true, target: logging.workspaceId!, ...(logging.name ? { setting: logging.name } : {}) }
    : { enabled: false };
}

function posture(
  facets: AccountFacets,
  containers: StoragePosture['publicAccess']['containers'],
  logging: StoragePosture['logging'],
): StoragePosture {
  const { allowBlobPublicAccess, ...rest } = facets;
  return {
    kind: 'storage',
    ref: rest.ref,
    publicAccess: { allowBlobPublicAccess, containers },
    encryption: rest.encryption,
    logging,
    transport: rest.transport,
    tags: rest.tags,
  };
}

/** The account document; null when it does not exist. */
async function getAccount(clients: ArmClients, ref: ResourceRef): Promise<StorageAccount | null> {
  const { resourceGroup, account } = accountLocation(ref);
  try {
    return await clients.storage.storageAccounts.getProperties(resourceGroup, account);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

function listContainers(clients: ArmClients, ref: ResourceRef): Promise<ListContainerItem[]> {
  const { resourceGroup, account } = accountLocation(ref);
  return collect(clients.storage.blobContainers.list(resourceGroup, account));
}

function listSettings(clients: ArmClients, ref: ResourceRef): Promise<DiagnosticSettingsResource[]> {
  return collect(clients.monitor.diagnosticSettings.list(blobServiceId(ref.id))).catch((err: unknown) => {
    // No blob service (e.g. a FileStorage account) means nothing to log there.
    if (isNotFound(err)) return [] as DiagnosticSettingsResource[];
    throw err;
  });
}

/**
 * The storage account's posture; null when it no longer exists. The account, its containers and its blob
 * service's diagnostic settings are read at once: their addresses all follow from the account's id. With `rules`,
 * the containers are read only for publicStorage and the settings only for storageWithoutLogging (the account
 * document is always read: it says whether the account exists, and holds the tags); what is left out is `unread`.
 */
export async function readStorageAccount(
  clients: ArmClients,
  ref: ResourceRef,
  rules?: readonly RuleName[],
): Promise<StoragePosture | null> {
  const wants = (rule: RuleName) => !rules || rules.includes(rule);
  const containers = wants('publicStorage') ? quiet(listContainers(clients, ref)) : undefined;
  const settings = wants('storageWithoutLogging') ? quiet(listSettings(clients, ref)) : undefined;
  const account = await getAccount(clients, ref);
  // Gone: the others fail (404) or say nothing worth waiting for.
  if (!account) return null;
  const read = posture(
    accountFacets(ref, account),
    containers ? containersOf(await containers) : [],
    settings ? loggingOf(await settings) : { enabled: false },
  );
  const unread = [...(containers ? [] : ['containers']), ...(settings ? [] : ['logging'])];
  if (unread.length > 0) read.unread = unread;
  return read;
}

/** Fixes whose write lands in the account document (one PATCH), so its verifying read is the account's GET. */
const ACCOUNT_WRITES = new Set<Fix['type']>([
  'disallow-public-containers',
  'require-secure-transport',
  'enable-encryption',
  'isolate',
]);

/**
 * The verifying read after `steps`: only what they wrote, in parallel (the account after its PATCH, the
 * containers after container PATCHes, the diagnostic setting after its PUT), merged into `before`. Any other kind
 * of step gets the full read.
 */
export async function rereadStorageAccount(
  clients: ArmClients,
  ref: ResourceRef,
  before: StoragePosture,
  steps: Step[],
  logSetting: string,
): Promise<StoragePosture | null> {
  const types = new Set(steps.map((s) => s.fix.type));
  const known = (t: Fix['type']) => ACCOUNT_WRITES.has(t) || t === 'set-container-access' || t === 'enable-logging';
  if (![...types].every(known)) return readStorageAccount(clients, ref);
  const containers = types.has('set-container-access') ? quiet(listContainers(clients, ref)) : undefined;
  const setting = types.has('enable-logging') ? quiet(getSetting(clients, ref, logSetting)) : undefined;
  let facets: AccountFacets = {
    ref: before.ref,
    allowBlobPublicAccess: before.publicAccess.allowBlobPublicAccess ?? true,
    encryption: before.encryption,
    transport: before.transport,
    tags: before.tags,
  };
  if ([...types].some((t) => ACCOUNT_WRITES.has(t))) {
    const account = await getAccount(clients, ref);
    if (!account) return null;
    facets = accountFacets(ref, account);
  }
  const written = setting ? await setting : undefined;
  const after = posture(
    facets,
    containers ? containersOf(await containers) : before.publicAccess.containers,
    // The setting Reflex wrote logs access, or logging is as off as it was.
    written === undefined ? before.logging : loggingOf(written ? [written] : []),
  );
  if (before.unread) after.unread = before.unread;
  return after;
}

/** One diagnostic setting of the account's blob service; null when it does not exist. */
async function getSetting(
  clients: ArmClients,
  ref: ResourceRef,
  name: string,
): Promise<DiagnosticSettingsResource | null> {
  try {
    return await clients.monitor.diagnosticSettings.get(blobServiceId(ref.id), name);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
