/**
 * The ARM operations Reflex calls, and no other part of the SDKs.
 *
 * The classic clients (`NetworkManagementClient`, `StorageManagementClient`, `MonitorClient`) build every operation
 * group in their constructors, so a bundler keeps all of them: 1.5 MB minified, of which Reflex uses 19 operations.
 * These TypeSpec-generated packages also have one function per operation that takes a client context (created
 * by the packages' own `create…` factories, with the same pipeline, retry policy and options as the classic
 * clients). Each operation group below is the classic group narrowed to the methods Reflex calls
 * (`Pick<SecurityRulesOperations, …>`), wired exactly as the package's classic client wires it, so call sites and
 * behaviour stay the SDK's and test/permissions.test.ts still sees every call on its SDK operation group.
 *
 * @azure/arm-storage exports its operation modules (`@azure/arm-storage/api/storageAccounts`). @azure/arm-network
 * and @azure/arm-monitor export only their context factories (`…/api`), not the operation modules, so those are
 * imported from the packages' own ESM files by path (Node, TypeScript and esbuild all refuse a bare subpath that
 * the `exports` map does not list). The path is the workspace's hoisted node_modules; test/sdk.test.ts checks
 * that it is the same package, at the same version, that `@azure/arm-network` and `@azure/arm-monitor` resolve to.
 */
import type { DiagnosticSettingsOperations } from '@azure/arm-monitor';
import { createMonitor, type MonitorClientOptionalParams } from '@azure/arm-monitor/api';
import type {
  FlowLogsOperations,
  NetworkSecurityGroupsOperations,
  NetworkWatchersOperations,
  SecurityRulesOperations,
  VirtualNetworksOperations,
} from '@azure/arm-network';
import { createNetworkManagement, type NetworkManagementClientOptionalParams } from '@azure/arm-network/api';
import type { BlobContainersOperations, StorageAccountsOperations } from '@azure/arm-storage';
import { createStorageManagement, type StorageManagementClientOptionalParams } from '@azure/arm-storage/api';
import * as blobContainers from '@azure/arm-storage/api/blobContainers';
import * as storageAccounts from '@azure/arm-storage/api/storageAccounts';
import type { TokenCredential } from '@azure/core-auth';
import * as diagnosticSettings from '../../../node_modules/@azure/arm-monitor/dist/esm/api/diagnosticSettings/operations.js';
import * as flowLogs from '../../../node_modules/@azure/arm-network/dist/esm/api/flowLogs/operations.js';
import * as networkSecurityGroups from '../../../node_modules/@azure/arm-network/dist/esm/api/networkSecurityGroups/operations.js';
import * as networkWatchers from '../../../node_modules/@azure/arm-network/dist/esm/api/networkWatchers/operations.js';
import * as securityRules from '../../../node_modules/@azure/arm-network/dist/esm/api/securityRules/operations.js';
import * as virtualNetworks from '../../../node_modules/@azure/arm-network/dist/esm/api/virtualNetworks/operations.js';

/** Where the operation modules above are read from, relative to this file (checked by test/sdk.test.ts). */
export const SDK_OPERATION_PATHS = {
  'arm-monitor': '../../../node_modules/@azure/arm-monitor',
  'arm-network': '../../../node_modules/@azure/arm-network',
} as const;

/** The client options every ARM context takes (pipeline policies, endpoint, retry options, user agent). */
export type ArmClientOptions = NetworkManagementClientOptionalParams &
  StorageManagementClientOptionalParams &
  MonitorClientOptionalParams;

export interface ArmStorage {
  storageAccounts: Pick<StorageAccountsOperations, 'getProperties' | 'update' | 'list'>;
  blobContainers: Pick<BlobContainersOperations, 'list' | 'get' | 'update'>;
}

export interface ArmNetwork {
  networkSecurityGroups: Pick<NetworkSecurityGroupsOperations, 'get' | 'listAll' | 'updateTags'>;
  securityRules: Pick<SecurityRulesOperations, 'get' | 'createOrUpdate' | 'delete'>;
  virtualNetworks: Pick<VirtualNetworksOperations, 'get' | 'listAll'>;
  networkWatchers: Pick<NetworkWatchersOperations, 'get' | 'listAll'>;
  flowLogs: Pick<FlowLogsOperations, 'list' | 'get' | 'createOrUpdate' | 'delete'>;
}

export interface ArmMonitor {
  diagnosticSettings: Pick<DiagnosticSettingsOperations, 'list' | 'get' | 'createOrUpdate' | 'delete'>;
}

export function storageClient(
  credential: TokenCredential,
  subscriptionId: string,
  options: ArmClientOptions,
): ArmStorage {
  const c = createStorageManagement(credential, subscriptionId, options);
  return {
    storageAccounts: {
      getProperties: (g, n, o) => storageAccounts.getProperties(c, g, n, o),
      update: (g, n, p, o) => storageAccounts.update(c, g, n, p, o),
      list: (o) => storageAccounts.list(c, o),
    },
    blobContainers: {
      list: (g, n, o) => blobContainers.list(c, g, n, o),
      get: (g, n, name, o) => blobContainers.get(c, g, n, name, o),
      update: (g, n, name, p, o) => blobContainers.update(c, g, n, name, p, o),
    },
  };
}

export function networkClient(
  credential: TokenCredential,
  subscriptionId: string,
  options: ArmClientOptions,
): ArmNetwork {
  const c = createNetworkManagement(credential, subscriptionId, options);
  return {
    networkSecurityGroups: {
      get: (g, n, o) => networkSecurityGroups.get(c, g, n, o),
      listAll: (o) => networkSecurityGroups.listAll(c, o),
      updateTags: (g, n, p, o) => networkSecurityGroups.updateTags(c, g, n, p, o),
    },
    securityRules: {
      get: (g, n, r, o) => securityRules.get(c, g, n, r, o),
      createOrUpdate: (g, n, r, p, o) => securityRules.createOrUpdate(c, g, n, r, p, o),
      delete: (g, n, r, o) => securityRules.$delete(c, g, n, r, o),
    },
    virtualNetworks: {
      get: (g, n, o) => virtualNetworks.get(c, g, n, o),
      listAll: (o) => virtualNetworks.listAll(c, o),
    },
    networkWatchers: {
      get: (g, n, o) => networkWatchers.get(c, g, n, o),
      listAll: (o) => networkWatchers.listAll(c, o),
    },
    flowLogs: {
      list: (g, w, o) => flowLogs.list(c, g, w, o),
      get: (g, w, f, o) => flowLogs.get(c, g, w, f, o),
      createOrUpdate: (g, w, f, p, o) => flowLogs.createOrUpdate(c, g, w, f, p, o),
      delete: (g, w, f, o) => flowLogs.$delete(c, g, w, f, o),
    },
  };
}

export function monitorClient(
  credential: TokenCredential,
  subscriptionId: string,
  options: ArmClientOptions,
): ArmMonitor {
  const c = createMonitor(credential, subscriptionId, options);
  return {
    diagnosticSettings: {
      list: (uri, o) => diagnosticSettings.list(c, uri, o),
      get: (uri, name, o) => diagnosticSettings.get(c, uri, name, o),
      createOrUpdate: (uri, name, p, o) => diagnosticSettings.createOrUpdate(c, uri, name, p, o),
      delete: (uri, name, o) => diagnosticSettings.$delete(c, uri, name, o),
    },
  };
}
