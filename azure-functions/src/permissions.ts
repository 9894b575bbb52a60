/**
 * The one source of truth for what the Azure bot may do: per management-plane SDK call the adapter can make
 * (`@azure/arm-*` operation group + method), the Azure RBAC operations it needs and which part of the bot makes
 * it. `infra/azure` generates the custom role's actions from this list (per rule, so the role follows the policy);
 * `test/permissions.test.ts` fails when the adapter calls a method that is not declared here, or when a
 * declaration is called by nothing.
 *
 * Adding a call: one entry with the package, the operation group interface (`SecurityRules`, not the property
 * `securityRules`), the method, the exact RBAC operations (no wildcards) and its uses.
 */
import type { Mode, RuleName } from '@reflex/core';

export type AzureSdkPackage = 'arm-storage' | 'arm-network' | 'arm-monitor';

/** What the bot reads and fixes on Azure, by the kind of resource a rule looks at. */
export type AzureResourceKind = 'storage-account' | 'network-security-group' | 'virtual-network';

export type AzureFixKey =
  | 'disallow-public-containers'
  | 'set-container-access'
  | 'require-secure-transport'
  | 'enable-encryption'
  | 'enable-logging'
  | 'revoke-ingress'
  | 'enable-flow-logs';

export type AzureUse =
  | { read: AzureResourceKind }
  /** Sweeps of a subscription. */
  | { list: AzureResourceKind }
  | { fix: AzureFixKey }
  | { manual: 'contain' | 'undo' };

/**
 * Where an action is granted: the subscription (the custom role), or only the storage account flow logs are
 * written to (Network Watcher fetches a SAS for it as the caller; granting that on the subscription would let the
 * bot read every account's keys).
 */
export type AzureGrantScope = 'subscription' | 'flow-log-storage-account';

export interface AzureCallPermission {
  sdk: AzureSdkPackage;
  /** The operation group interface the method is called on (`StorageAccounts`). */
  operations: string;
  method: string;
  actions: readonly string[];
  /** Actions granted only on the flow-log storage account (see AzureGrantScope). */
  flowLogStorageActions?: readonly string[];
  uses: readonly AzureUse[];
  /** Declared ahead of the code that will call it: never granted; the test fails once it is called. */
  planned?: string;
}

const read = (kind: AzureResourceKind): AzureUse => ({ read: kind });
const list = (kind: AzureResourceKind): AzureUse => ({ list: kind });
const fix = (key: AzureFixKey): AzureUse => ({ fix: key });

export const AZURE_PERMISSIONS: readonly AzureCallPermission[] = [
  // Storage: posture (storage/readStorage.ts) and sweeps (functions/sweep.ts)
  {
    sdk: 'arm-storage',
    operations: 'StorageAccounts',
    method: 'getProperties',
    actions: ['Microsoft.Storage/storageAccounts/read'],
    uses: [read('storage-account'), { manual: 'contain' }, { manual: 'undo' }],
  },
  {
    sdk: 'arm-storage',
    operations: 'BlobContainers',
    method: 'list',
    actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'],
    uses: [read('storage-account')],
  },
  {
    sdk: 'arm-monitor',
    operations: 'DiagnosticSettings',
    method: 'list',
    actions: ['Microsoft.Insights/diagnosticSettings/read'],
    uses: [read('storage-account')],
  },
  {
    sdk: 'arm-storage',
    operations: 'StorageAccounts',
    method: 'list',
    actions: ['Microsoft.Storage/storageAccounts/read'],
    uses: [list('storage-account')],
  },
  // Storage: fixes (storage/fixStorage.ts). The account switches (public access, HTTPS, TLS, CMK) are one PATCH.
  {
    sdk: 'arm-storage',
    operations: 'StorageAccounts',
    method: 'update',
    actions: ['Microsoft.Storage/storageAccounts/write'],
    uses: [
      fix('disallow-public-containers'),
      fix('require-secure-transport'),
      fix('enable-encryption'),
      { manual: 'contain' },
      { manual: 'undo' },
    ],
  },
  {
    sdk: 'arm-storage',
    operations: 'BlobContainers',
    method: 'update',
    actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/write'],
    uses: [fix('set-container-access'), { manual: 'undo' }],
  },
  {
    sdk: 'arm-storage',
    operations: 'BlobContainers',
    method: 'get',
    actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'],
    uses: [{ manual: 'undo' }],
  },
  {
    sdk: 'arm-monitor',
    operations: 'DiagnosticSettings',
    method: 'createOrUpdate',
    actions: ['Microsoft.Insights/diagnosticSettings/write'],
    uses: [fix('enable-logging')],
  },
  {
    sdk: 'arm-monitor',
    operations: 'DiagnosticSettings',
    method: 'get',
    actions: ['Microsoft.Insights/diagnosticSettings/read'],
    uses: [{ manual: 'undo' }],
  },
  {
    sdk: 'arm-monitor',
    operations: 'DiagnosticSettings',
    method: 'delete',
    actions: ['Microsoft.Insights/diagnosticSettings/delete'],
    uses: [{ manual: 'undo' }],
  },
  // Network security groups (network/readNsg.ts, network/fixNsg.ts, functions/sweep.ts)
  {
    sdk: 'arm-network',
    operations: 'NetworkSecurityGroups',
    method: 'get',
    actions: ['Microsoft.Network/networkSecurityGroups/read'],
    uses: [read('network-security-group'), { manual: 'contain' }, { manual: 'undo' }],
  },
  {
    sdk: 'arm-network',
    operations: 'NetworkSecurityGroups',
    method: 'updateTags',
    // A tag PATCH of the NSG is a write of the NSG.
    actions: ['Microsoft.Network/networkSecurityGroups/write'],
    uses: [{ manual: 'contain' }, { manual: 'undo' }],
  },
  {
    sdk: 'arm-network',
    operations: 'NetworkSecurityGroups',
    method: 'listAll',
    actions: ['Microsoft.Network/networkSecurityGroups/read'],
    uses: [list('network-security-group')],
  },
  {
    sdk: 'arm-network',
    operations: 'SecurityRules',
    method: 'get',
    actions: ['Microsoft.Network/networkSecurityGroups/securityRules/read'],
    uses: [fix('revoke-ingress')],
  },
  {
    sdk: 'arm-network',
    operations: 'SecurityRules',
    method: 'createOrUpdate',
    actions: ['Microsoft.Network/networkSecurityGroups/securityRules/write'],
    uses: [fix('revoke-ingress'), { manual: 'contain' }, { manual: 'undo' }],
  },
  {
    sdk: 'arm-network',
    operations: 'SecurityRules',
    method: 'delete',
    actions: ['Microsoft.Network/networkSecurityGroups/securityRules/delete'],
    uses: [fix('revoke-ingress'), { manual: 'undo' }],
  },
  // Virtual networks and their flow logs (network/flowLogs.ts)
  {
    sdk: 'arm-network',
    operations: 'VirtualNetworks',
    method: 'get',
    actions: ['Microsoft.Network/virtualNetworks/read'],
    uses: [read('virtual-network'), fix('enable-flow-logs')],
  },
  {
    sdk: 'arm-network',
    operations: 'VirtualNetworks',
    method: 'listAll',
    actions: ['Microsoft.Network/virtualNetworks/read'],
    uses: [read('virtual-network'), list('virtual-network')],
  },
  {
    sdk: 'arm-network',
    operations: 'NetworkWatchers',
    method: 'listAll',
    actions: ['Microsoft.Network/networkWatchers/read'],
    uses: [read('virtual-network')],
  },
  {
    sdk: 'arm-network',
    operations: 'NetworkWatchers',
    method: 'get',
    actions: ['Microsoft.Network/networkWatchers/read'],
    uses: [read('virtual-network')],
  },
  {
    sdk: 'arm-network',
    operations: 'FlowLogs',
    method: 'list',
    actions: ['Microsoft.Network/networkWatchers/flowLogs/read'],
    uses: [read('virtual-network')],
  },
  {
    sdk: 'arm-network',
    operations: 'FlowLogs',
    method: 'get',
    actions: ['Microsoft.Network/networkWatchers/flowLogs/read'],
    uses: [fix('enable-flow-logs'), { manual: 'undo' }],
  },
  {
    sdk: 'arm-network',
    operations: 'FlowLogs',
    method: 'createOrUpdate',
    actions: ['Microsoft.Network/networkWatchers/flowLogs/write'],
    flowLogStorageActions: [
      'Microsoft.Storage/storageAccounts/listServiceSas/action',
      'Microsoft.Storage/storageAccounts/listAccountSas/action',
      'Microsoft.Storage/storageAccounts/listKeys/action',
    ],
    uses: [fix('enable-flow-logs'), { manual: 'undo' }],
  },
  {
    sdk: 'arm-network',
    operations: 'FlowLogs',
    method: 'delete',
    actions: ['Microsoft.Network/networkWatchers/flowLogs/delete'],
    uses: [{ manual: 'undo' }],
  },
];

/** The kind of resource each rule reads on Azure; null where the rule has no Azure side. Checked against core. */
export const AZURE_RULE_RESOURCE: Record<RuleName, AzureResourceKind | null> = {
  publicStorage: 'storage-account',
  unencryptedStorage: 'storage-account',
  storageWithoutLogging: 'storage-account',
  insecureTransport: 'storage-account',
  openIngress: 'network-security-group',
  trailLoggingStopped: null,
  networkWithoutFlowLogs: 'virtual-network',
  ebsEncryptionByDefaultOff: null,
  accountPublicAccessUnblocked: null,
};

/** The fixes each rule can ask for on Azure. */
export const AZURE_RULE_FIXES: Record<RuleName, readonly AzureFixKey[]> = {
  publicStorage: ['disallow-public-containers', 'set-container-access'],
  unencryptedStorage: ['enable-encryption'],
  storageWithoutLogging: ['enable-logging'],
  insecureTransport: ['require-secure-transport'],
  openIngress: ['revoke-ingress'],
  trailLoggingStopped: [],
  networkWithoutFlowLogs: ['enable-flow-logs'],
  ebsEncryptionByDefaultOff: [],
  accountPublicAccessUnblocked: [],
};

export interface AzurePermissionNeeds {
  rules: Partial<Record<RuleName, Mode>>;
  sweep?: boolean;
  manual?: readonly ('contain' | 'undo')[];
}

const ALL_KINDS: readonly AzureResourceKind[] = ['storage-account', 'network-security-group', 'virtual-network'];

export function azureUseNeeded(use: AzureUse, needs: AzurePermissionNeeds): boolean {
  const active = Object.entries(needs.rules).filter(([, mode]) => mode && mode !== 'off') as [RuleName, Mode][];
  const kinds = new Set(active.map(([rule]) => AZURE_RULE_RESOURCE[rule]));
  if ('read' in use) return kinds.has(use.read);
  if ('list' in use) return kinds.has(use.list) || (needs.sweep === true && ALL_KINDS.includes(use.list));
  if ('fix' in use)
    return active.some(([rule, mode]) => mode === 'enforce' && AZURE_RULE_FIXES[rule].includes(use.fix));
  return needs.manual?.includes(use.manual) ?? false;
}

/**
 * The RBAC operations a deployment needs at a scope, sorted and unique. Planned declarations are never granted.
 */
export function azureActionsFor(needs: AzurePermissionNeeds, scope: AzureGrantScope = 'subscription'): string[] {
  const out = new Set<string>();
  for (const p of AZURE_PERMISSIONS) {
    if (p.planned || !p.uses.some((u) => azureUseNeeded(u, needs))) continue;
    for (const a of scope === 'subscription' ? p.actions : (p.flowLogStorageActions ?? [])) out.add(a);
  }
  return [...out].sort();
}
