import type { StorageAccount, StorageAccountUpdateParameters } from '@azure/arm-storage';
import type { CallDescription, Step, StoragePosture } from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { RequestIds } from '../arm/requestIds.js';
import { CONTAINED_TAG, type ContainmentNote, containedTagValue, withContainedTag } from '../containment.js';
import { withSdkPropertyMarkers } from './accountPatch.js';
import { accountLocation } from './readStorage.js';

/** The part of an account a containment writes, and what undo compares. */
export interface AccountNetworkState {
  publicNetworkAccess: string | null;
  defaultAction: string;
  tag: string | null;
}

export function networkStateOf(a: StorageAccount): AccountNetworkState {
  return {
    publicNetworkAccess: a.publicNetworkAccess ?? null,
    // No rule set means the platform default: Allow.
    defaultAction: a.networkRuleSet?.defaultAction ?? 'Allow',
    tag: a.tags?.[CONTAINED_TAG] ?? null,
  };
}

/**
 * The PATCH that locks a storage account's network down: public network access Disabled and the firewall's
 * default action Deny. `networkAcls` is one document, so it is sent whole with its ipRules, virtualNetworkRules,
 * resourceAccessRules and bypass kept; the tags go in the same PATCH, merged, because a tags PATCH replaces
 * the whole set.
 */
export function storageContainmentPatch(account: StorageAccount, tag: string): StorageAccountUpdateParameters {
  return withSdkPropertyMarkers({
    publicNetworkAccess: 'Disabled',
    networkRuleSet: { ...(account.networkRuleSet ?? {}), defaultAction: 'Deny' },
    tags: withContainedTag(account.tags, tag),
  });
}

export function describeStorageContainment(p: StoragePosture): CallDescription[] {
  const { resourceGroup: g, account: n } = accountLocation(p.ref);
  return [
    {
      api: `PATCH ${p.ref.id} (StorageAccounts_Update) publicNetworkAccess=Disabled, networkAcls.defaultAction=Deny, tags.${CONTAINED_TAG}`,
      argv: [
        'az',
        'storage',
        'account',
        'update',
        '--resource-group',
        g,
        '--name',
        n,
        '--public-network-access',
        'Disabled',
        '--default-action',
        'Deny',
        '--tags',
        `${CONTAINED_TAG}=<time remediation: reason>`,
      ],
      permission: 'Microsoft.Storage/storageAccounts/write',
    },
  ];
}

/** Contains a storage account in one PATCH, then verifies on a re-read. */
export async function containStorageAccount(
  clients: ArmClients,
  step: Step,
  p: StoragePosture,
  note: ContainmentNote | undefined,
  now: Date,
): Promise<{ before: unknown; after: unknown; requestIds: string[] }> {
  const { resourceGroup, account: name } = accountLocation(p.ref);
  const ids = new RequestIds();
  // Fresh: the posture does not carry the network rule set, which is written back whole.
  const account = await clients.storage.storageAccounts.getProperties(resourceGroup, name, {
    onResponse: ids.capture,
  });
  const tag = containedTagValue(now, step.id, note);
  await clients.storage.storageAccounts.update(resourceGroup, name, storageContainmentPatch(account, tag), {
    onResponse: ids.capture,
  });
  const reread = await clients.storage.storageAccounts.getProperties(resourceGroup, name);
  const after = networkStateOf(reread);
  if (after.publicNetworkAccess !== 'Disabled' || after.defaultAction !== 'Deny' || after.tag !== tag) {
    throw new Error(
      `containment not verified: the re-read shows publicNetworkAccess=${after.publicNetworkAccess}, defaultAction=${after.defaultAction}`,
    );
  }
  return { before: networkStateOf(account), after, requestIds: ids.list('StorageAccounts_Update') };
}
