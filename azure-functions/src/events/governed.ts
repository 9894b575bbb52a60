import {
  errorMessage,
  formatArmId,
  parseArmId,
  type ResourceRef,
  ResourceTypes,
  type RuleName,
  refFromArmId,
} from '@reflex/core';

export type Governed = { ok: true; ref: ResourceRef } | { ok: false; reason: string };

const STORAGE_ACCOUNT = ResourceTypes.storageAccount.toLowerCase();
const NSG = ResourceTypes.nsg.toLowerCase();
const VNET = ResourceTypes.vnet.toLowerCase();
/** A flow log stands for the VNet it logs; which one is read from ARM (see vnetTargetsForFlowLog). */
export const FLOW_LOG = 'microsoft.network/networkwatchers/flowlogs';

/**
 * The resource Reflex reads for a change to `id`: a storage account for the account, its blob service and its
 * containers; an NSG for the NSG and its rules; a virtual network for the VNet and its subnets; a flow log (which
 * the events function resolves to the VNet it logs); the resource a diagnostic setting extends. Anything else is
 * not governed, with the reason.
 */
export function governedResource(id: string): Governed {
  try {
    return governedOf(parseArmId(id));
  } catch (err) {
    // A malformed id, or a name no Azure resource can have (names.ts): refused as bad input, nothing called.
    return { ok: false, reason: errorMessage(err) };
  }
}

function governedOf(arm: ReturnType<typeof parseArmId>): Governed {
  // An extension resource (a diagnostic setting) stands for the resource it extends.
  if (arm.parent) return governedResource(arm.parent);
  const type = arm.type.toLowerCase();
  const top = (names: number, t: string) =>
    refFromArmId(formatArmId({ ...arm, type: t, names: arm.names.slice(0, names) }));
  if (type === STORAGE_ACCOUNT || type.startsWith(`${STORAGE_ACCOUNT}/blobservices`)) {
    return { ok: true, ref: top(1, ResourceTypes.storageAccount) };
  }
  if (type.startsWith(`${STORAGE_ACCOUNT}/`)) {
    return { ok: false, reason: `${arm.type} (file, queue and table services) is not governed by Reflex` };
  }
  if (type === NSG || type === `${NSG}/securityrules`) return { ok: true, ref: top(1, ResourceTypes.nsg) };
  if (type === VNET || type === `${VNET}/subnets`) return { ok: true, ref: top(1, ResourceTypes.vnet) };
  if (type === FLOW_LOG) return { ok: true, ref: refFromArmId(formatArmId({ ...arm, names: arm.names.slice(0, 2) })) };
  return { ok: false, reason: `${arm.type} is not a resource type Reflex governs` };
}

const BLOB_SERVICE = `${STORAGE_ACCOUNT}/blobservices`;

/** What an update of the account document (a PATCH) can change: everything but its diagnostic settings. */
const ACCOUNT_UPDATE: RuleName[] = ['publicStorage', 'unencryptedStorage', 'insecureTransport'];

/**
 * The rules a write or delete of `id` can affect, when it is narrower than "all": a blob service's diagnostic
 * setting only decides logging, a container only public access, a PATCH of the account (an update: ARM creates
 * only with PUT) everything but logging, which lives in a diagnostic setting of its own. A PUT of the account may be
 * its creation, so it has every rule judged (undefined), as has anything else.
 */
export function rulesForChange(id: string, method?: string): RuleName[] | undefined {
  let arm: ReturnType<typeof parseArmId>;
  try {
    arm = parseArmId(id);
  } catch {
    return undefined;
  }
  const type = arm.type.toLowerCase();
  if (type === 'microsoft.insights/diagnosticsettings' && arm.parent) {
    const parent = armTypeOf(arm.parent);
    return parent === BLOB_SERVICE ? ['storageWithoutLogging'] : undefined;
  }
  if (type === STORAGE_ACCOUNT && method?.toUpperCase() === 'PATCH') return ACCOUNT_UPDATE;
  return type === `${BLOB_SERVICE}/containers` ? ['publicStorage'] : undefined;
}

function armTypeOf(id: string): string | undefined {
  try {
    return parseArmId(id).type.toLowerCase();
  } catch {
    return undefined;
  }
}
