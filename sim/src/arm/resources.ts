import { randomUUID } from 'node:crypto';
import type { ArmStore, StoredResource } from './store.js';

type Json = Record<string, unknown>;

/** What a PUT needs to build the stored body. */
export interface PutContext {
  id: string;
  name: string;
  type: string;
  body: Json;
  existing?: StoredResource;
  store: ArmStore;
  /** Location of the resource group, for resources that inherit one. */
  groupLocation: string;
  /** Parent resource, when the type is a child. */
  parent?: StoredResource;
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Per-type behaviour: the fields Azure's resource provider fills in and the invariants it keeps.
 * Everything generic (ids, api-version, status codes, LRO, paging) lives in semantics.ts.
 */
export interface ResourceKind {
  type: string;
  /** Microsoft.Network returns a weak etag on every resource. */
  etag?: 'weak' | 'blob';
  /** Build the body to store from a PUT. */
  put(ctx: PutContext): Json;
  /** Body as returned (e.g. a parent listing its children). Defaults to the stored body. */
  view?(resource: StoredResource, store: ArmStore): Json;
  /** Children embedded in the parent and written with it (NSG `properties.securityRules`). */
  embedded?: { childType: string; property: string };
  /** Ids Azure creates implicitly with this resource (storage account → blobServices/default). */
  implicitChildren?(resource: StoredResource): StoredResource[];
  /** Read-only child types cannot be written by clients. */
  readOnly?: boolean;
  /** Names that must be used, e.g. `default` for blob services. */
  fixedName?: string;
}

const now = () => new Date().toISOString();
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function tracked(ctx: PutContext, properties: Json): Json {
  const out: Json = {
    id: ctx.id,
    name: ctx.name,
    type: ctx.type,
    location: typeof ctx.body['location'] === 'string' ? ctx.body['location'] : ctx.groupLocation,
  };
  if (ctx.body['tags'] !== undefined) out['tags'] = ctx.body['tags'];
  out['properties'] = properties;
  return out;
}

const storageAccount: ResourceKind = {
  type: 'Microsoft.Storage/storageAccounts',
  put(ctx) {
    const req = obj(ctx.body['properties']);
    const prior = obj(ctx.existing?.body['properties']);
    const name = ctx.name.toLowerCase();
    const created = (prior['creationTime'] as string | undefined) ?? now();
    const sku = obj(ctx.body['sku']);
    const skuName = typeof sku['name'] === 'string' ? sku['name'] : 'Standard_LRS';
    const location = typeof ctx.body['location'] === 'string' ? ctx.body['location'] : ctx.groupLocation;
    const encryptionService = { enabled: true, keyType: 'Account', lastEnabledTime: created };
    const properties: Json = {
      // Azure's defaults for a new account; request values win.
      keyCreationTime: { key1: created, key2: created },
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
      supportsHttpsTrafficOnly: true,
      accessTier: 'Hot',
      networkAcls: { bypass: 'AzureServices', virtualNetworkRules: [], ipRules: [], defaultAction: 'Allow' },
      encryption: {
        services: { blob: encryptionService, file: encryptionService },
        keySource: 'Microsoft.Storage',
      },
      ...prior,
      ...req,
      provisioningState: 'Succeeded',
      creationTime: created,
      primaryEndpoints: {
        dfs: `https://${name}.dfs.core.windows.net/`,
        web: `https://${name}.z13.web.core.windows.net/`,
        blob: `https://${name}.blob.core.windows.net/`,
        queue: `https://${name}.queue.core.windows.net/`,
        table: `https://${name}.table.core.windows.net/`,
        file: `https://${name}.file.core.windows.net/`,
      },
      primaryLocation: location,
      statusOfPrimary: 'available',
    };
    return {
      ...tracked(ctx, properties),
      sku: { name: skuName, tier: skuName.startsWith('Premium') ? 'Premium' : 'Standard' },
      kind: typeof ctx.body['kind'] === 'string' ? ctx.body['kind'] : 'StorageV2',
      ...(ctx.body['identity'] ? { identity: ctx.body['identity'] } : {}),
    };
  },
  implicitChildren(account) {
    return [
      {
        id: `${account.id}/blobServices/default`,
        type: 'Microsoft.Storage/storageAccounts/blobServices',
        body: {
          id: `${account.id}/blobServices/default`,
          name: 'default',
          type: 'Microsoft.Storage/storageAccounts/blobServices',
          sku: account.body['sku'],
          properties: {
            cors: { corsRules: [] },
            deleteRetentionPolicy: { allowPermanentDelete: false, enabled: false },
          },
        },
      },
    ];
  },
};

const blobService: ResourceKind = {
  type: 'Microsoft.Storage/storageAccounts/blobServices',
  fixedName: 'default',
  put(ctx) {
    // SetServiceProperties replaces the properties it is given; the sku is the account's.
    return {
      id: ctx.id,
      name: 'default',
      type: ctx.type,
      sku: ctx.parent?.body['sku'],
      properties: { ...obj(ctx.existing?.body['properties']), ...obj(ctx.body['properties']) },
    };
  },
};

const blobContainer: ResourceKind = {
  type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  etag: 'blob',
  put(ctx) {
    const req = obj(ctx.body['properties']);
    const account = ctx.store.get(ctx.id.split('/blobServices/')[0]!);
    const publicAccess = req['publicAccess'] ?? obj(ctx.existing?.body['properties'])['publicAccess'] ?? 'None';
    // Azure refuses container-level public access on an account that disallows it.
    if (publicAccess !== 'None' && obj(account?.body['properties'])['allowBlobPublicAccess'] === false) {
      throw new ArmError(409, 'PublicAccessNotPermitted', 'Public access is not permitted on this storage account.');
    }
    return {
      id: ctx.id,
      name: ctx.name,
      type: ctx.type,
      properties: {
        deleted: false,
        remainingRetentionDays: 0,
        defaultEncryptionScope: '$account-encryption-key',
        denyEncryptionScopeOverride: false,
        leaseStatus: 'Unlocked',
        leaseState: 'Available',
        hasImmutabilityPolicy: false,
        hasLegalHold: false,
        ...obj(ctx.existing?.body['properties']),
        ...req,
        publicAccess,
        lastModifiedTime: now(),
      },
    };
  },
};

function rule(
  name: string,
  description: string,
  access: string,
  priority: number,
  direction: string,
  src: string,
  dst: string,
) {
  return {
    name,
    description,
    protocol: '*',
    sourcePortRange: '*',
    destinationPortRange: '*',
    sourceAddressPrefix: src,
    destinationAddressPrefix: dst,
    access,
    priority,
    direction,
  };
}

// The six rules every NSG carries, exactly as Azure returns them (see examples/NetworkSecurityGroupGet.json).
const DEFAULT_RULES = [
  rule(
    'AllowVnetInBound',
    'Allow inbound traffic from all VMs in VNET',
    'Allow',
    65000,
    'Inbound',
    'VirtualNetwork',
    'VirtualNetwork',
  ),
  rule(
    'AllowAzureLoadBalancerInBound',
    'Allow inbound traffic from azure load balancer',
    'Allow',
    65001,
    'Inbound',
    'AzureLoadBalancer',
    '*',
  ),
  rule('DenyAllInBound', 'Deny all inbound traffic', 'Deny', 65500, 'Inbound', '*', '*'),
  rule(
    'AllowVnetOutBound',
    'Allow outbound traffic from all VMs to all VMs in VNET',
    'Allow',
    65000,
    'Outbound',
    'VirtualNetwork',
    'VirtualNetwork',
  ),
  rule(
    'AllowInternetOutBound',
    'Allow outbound traffic from all VMs to Internet',
    'Allow',
    65001,
    'Outbound',
    '*',
    'Internet',
  ),
  rule('DenyAllOutBound', 'Deny all outbound traffic', 'Deny', 65500, 'Outbound', '*', '*'),
];

function subResourceView(r: StoredResource): Json {
  return r.body;
}

const networkSecurityGroup: ResourceKind = {
  type: 'Microsoft.Network/networkSecurityGroups',
  etag: 'weak',
  embedded: { childType: 'Microsoft.Network/networkSecurityGroups/securityRules', property: 'securityRules' },
  put(ctx) {
    const req = obj(ctx.body['properties']);
    const prior = obj(ctx.existing?.body['properties']);
    const properties: Json = {
      ...req,
      resourceGuid: prior['resourceGuid'] ?? randomUUID(),
      provisioningState: 'Succeeded',
    };
    delete properties['securityRules'];
    delete properties['defaultSecurityRules'];
    return tracked(ctx, properties);
  },
  view(nsg, store) {
    const props = obj(nsg.body['properties']);
    return {
      ...nsg.body,
      properties: {
        ...props,
        securityRules: store.list(nsg.id, 'Microsoft.Network/networkSecurityGroups/securityRules').map(subResourceView),
        defaultSecurityRules: store
          .list(nsg.id, 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules')
          .map(subResourceView),
      },
    };
  },
  implicitChildren(nsg) {
    return DEFAULT_RULES.map(({ name, ...properties }) => {
      const id = `${nsg.id}/defaultSecurityRules/${name}`;
      return {
        id,
        type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
        body: {
          name,
          id,
          etag: nsg.body['etag'],
          type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
          properties: {
            ...properties,
            sourcePortRanges: [],
            destinationPortRanges: [],
            sourceAddressPrefixes: [],
            destinationAddressPrefixes: [],
            provisioningState: 'Succeeded',
          },
        },
      };
    });
  },
};

const securityRule: ResourceKind = {
  type: 'Microsoft.Network/networkSecurityGroups/securityRules',
  etag: 'weak',
  put(ctx) {
    return {
      name: ctx.name,
      id: ctx.id,
      type: ctx.type,
      properties: { ...obj(ctx.body['properties']), provisioningState: 'Succeeded' },
    };
  },
};

const defaultSecurityRule: ResourceKind = {
  type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
  readOnly: true,
  put() {
    throw new ArmError(405, 'MethodNotAllowed', 'Default security rules cannot be modified.');
  },
};

const networkWatcher: ResourceKind = {
  type: 'Microsoft.Network/networkWatchers',
  etag: 'weak',
  put(ctx) {
    return tracked(ctx, { provisioningState: 'Succeeded' });
  },
};

const flowLog: ResourceKind = {
  type: 'Microsoft.Network/networkWatchers/flowLogs',
  etag: 'weak',
  put(ctx) {
    const req = obj(ctx.body['properties']);
    const target = typeof req['targetResourceId'] === 'string' ? ctx.store.get(req['targetResourceId']) : undefined;
    if (!target) {
      throw new ArmError(
        400,
        'InvalidResourceReference',
        `Resource ${String(req['targetResourceId'])} referenced by the flow log was not found.`,
      );
    }
    const targetGuid = obj(target.body['properties'])['resourceGuid'];
    return tracked(ctx, {
      ...req,
      ...(typeof targetGuid === 'string' ? { targetResourceGuid: targetGuid } : {}),
      provisioningState: 'Succeeded',
    });
  },
};

const virtualNetwork: ResourceKind = {
  type: 'Microsoft.Network/virtualNetworks',
  etag: 'weak',
  put(ctx) {
    const req = obj(ctx.body['properties']);
    const prior = obj(ctx.existing?.body['properties']);
    const subnets = Array.isArray(req['subnets']) ? (req['subnets'] as Json[]) : [];
    return tracked(ctx, {
      ...req,
      subnets: subnets.map((s) => ({
        ...s,
        id: `${ctx.id}/subnets/${String(s['name'])}`,
        type: 'Microsoft.Network/virtualNetworks/subnets',
        properties: { ...obj(s['properties']), provisioningState: 'Succeeded' },
      })),
      resourceGuid: prior['resourceGuid'] ?? randomUUID(),
      provisioningState: 'Succeeded',
    });
  },
};

const diagnosticSetting: ResourceKind = {
  type: 'Microsoft.Insights/diagnosticSettings',
  put(ctx) {
    return { id: ctx.id, type: ctx.type, name: ctx.name, properties: { ...obj(ctx.body['properties']) } };
  },
};

export const KINDS: ResourceKind[] = [
  storageAccount,
  blobService,
  blobContainer,
  networkSecurityGroup,
  securityRule,
  defaultSecurityRule,
  networkWatcher,
  flowLog,
  virtualNetwork,
  diagnosticSetting,
];

const byType = new Map(KINDS.map((k) => [k.type.toLowerCase(), k]));

export function kindOf(type: string): ResourceKind | undefined {
  return byType.get(type.toLowerCase());
}
