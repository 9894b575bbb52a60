import type { StorageAccountUpdateParameters } from '@azure/arm-storage';
import {
  type CallDescription,
  type Fix,
  type Step,
  type StepSettlement,
  type StoragePosture,
  tlsToRaise,
  UnsupportedResourceError,
} from '@reflex/core';
import type { ArmClients } from '../arm/clients.js';
import { RequestIds } from '../arm/requestIds.js';
import type { ContainmentNote } from '../containment.js';
import { withSdkPropertyMarkers } from './accountPatch.js';
import { containStorageAccount, describeStorageContainment } from './containStorage.js';
import { accountLocation, BLOB_LOG_CATEGORIES, blobServiceId } from './readStorage.js';

/** The diagnostic setting Reflex creates; a fixed name makes a retried fix overwrite, not duplicate. */
export const LOG_SETTING_NAME = 'reflex-blob-access-logs';

/** Fixes that write the account document itself: they are coalesced into one PATCH. */
const ACCOUNT_PATCH_FIXES = new Set<Fix['type']>(['disallow-public-containers', 'require-secure-transport']);

/** The TLS version a fix may write: the rule's, and never one below what the account has now. */
function tlsOf(fix: Fix, p: StoragePosture): string | undefined {
  return fix.type === 'require-secure-transport' && fix.minimumTls
    ? tlsToRaise(p.transport.minimumTls, fix.minimumTls)
    : undefined;
}

function accountPatchFor(fix: Fix, p: StoragePosture): StorageAccountUpdateParameters {
  if (fix.type === 'disallow-public-containers') return { allowBlobPublicAccess: false };
  if (fix.type === 'require-secure-transport') {
    const tls = tlsOf(fix, p);
    return { enableHttpsTrafficOnly: true, ...(tls ? { minimumTlsVersion: tls } : {}) };
  }
  return {};
}

/** The part of the account a fix writes, as it is now: the step's recorded before (also written ahead of it). */
export function beforeOf(fix: Fix, p: StoragePosture): unknown {
  switch (fix.type) {
    case 'disallow-public-containers':
      return { allowBlobPublicAccess: p.publicAccess.allowBlobPublicAccess ?? true };
    case 'require-secure-transport':
      return { enableHttpsTrafficOnly: p.transport.httpsOnly, minimumTlsVersion: p.transport.minimumTls ?? null };
    case 'set-container-access':
      // The account switch is kept with it: putting a container back to public needs the account to allow it.
      return {
        containers: fix.containers.map((c) => ({ name: c.name, publicAccess: c.from })),
        allowBlobPublicAccess: p.publicAccess.allowBlobPublicAccess ?? true,
      };
    case 'enable-logging':
      return { diagnosticSetting: p.logging.setting ?? null, workspaceId: p.logging.target ?? null };
    case 'enable-encryption':
      return { keySource: p.encryption.algorithm ?? null, keyId: p.encryption.keyId ?? null };
    default:
      return null;
  }
}

/** `https://vault.vault.azure.net/keys/name[/version]` → the account's keyVaultProperties. */
function keyVaultProperties(keyId: string) {
  const url = new URL(keyId);
  const [, keys, keyName, keyVersion] = url.pathname.split('/');
  if (keys !== 'keys' || !keyName) throw new UnsupportedResourceError(`not a Key Vault key URI: ${keyId}`);
  return { keyVaultUri: `${url.origin}/`, keyName, ...(keyVersion ? { keyVersion } : {}) };
}

/**
 * The calls each fix makes on an account, with the CLI command that does the same. Each `az storage account
 * update` sets only its own fix's properties, and no two fixes set the same one, so the commands of one account's
 * tickets compose in any order into the one PATCH enforce sends.
 */
export function describeStorageFix(fix: Fix, p: StoragePosture): CallDescription[] {
  const { resourceGroup: g, account: n } = accountLocation(p.ref);
  const update = (...args: string[]): CallDescription => ({
    api: `PATCH ${p.ref.id} (StorageAccounts_Update)`,
    argv: ['az', 'storage', 'account', 'update', '--resource-group', g, '--name', n, ...args],
    permission: 'Microsoft.Storage/storageAccounts/write',
  });
  switch (fix.type) {
    case 'isolate':
      return describeStorageContainment(p);
    case 'disallow-public-containers':
      return [update('--allow-blob-public-access', 'false')];
    case 'require-secure-transport': {
      const tls = tlsOf(fix, p);
      return [update('--https-only', 'true', ...(tls ? ['--min-tls-version', tls] : []))];
    }
    case 'set-container-access':
      return fix.containers.map((c) => ({
        api: `PATCH ${p.ref.id}/blobServices/default/containers/${c.name} (BlobContainers_Update) publicAccess=None`,
        argv: [
          'az',
          'storage',
          'container-rm',
          'update',
          '--resource-group',
          g,
          '--storage-account',
          n,
          '--name',
          c.name,
          '--public-access',
          'off',
        ],
        permission: 'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      }));
    case 'enable-logging': {
      const logs = JSON.stringify(BLOB_LOG_CATEGORIES.map((category) => ({ category, enabled: true })));
      return [
        {
          api: `PUT ${blobServiceId(p.ref.id)}/providers/Microsoft.Insights/diagnosticSettings/${LOG_SETTING_NAME} (DiagnosticSettings_CreateOrUpdate)`,
          argv: [
            'az',
            'monitor',
            'diagnostic-settings',
            'create',
            '--name',
            LOG_SETTING_NAME,
            '--resource',
            blobServiceId(p.ref.id),
            '--workspace',
            fix.target,
            '--logs',
            logs,
          ],
          permission: 'Microsoft.Insights/diagnosticSettings/write',
        },
      ];
    }
    case 'enable-encryption': {
      if (!fix.keyId) return [];
      const key = keyVaultProperties(fix.keyId);
      return [
        update(
          '--encryption-key-source',
          'Microsoft.Keyvault',
          '--encryption-key-vault',
          key.keyVaultUri,
          '--encryption-key-name',
          key.keyName,
          ...(key.keyVersion ? ['--encryption-key-version', key.keyVersion] : []),
        ),
      ];
    }
    default:
      return [];
  }
}

/**
 * Applies storage steps with the fewest calls: the account-level switches (public access, HTTPS, TLS) in one
 * PATCH however many steps ask for them, each public container in its own PATCH, the diagnostic setting in one
 * PUT. Independent calls run in parallel. A customer-managed key is its own PATCH, so a Key Vault problem
 * cannot undo the security switches.
 */
export async function applyStorageSteps(
  clients: ArmClients,
  steps: Step[],
  p: StoragePosture,
  containment: { note?: ContainmentNote; now?: Date } = {},
): Promise<StepSettlement[]> {
  const { resourceGroup, account } = accountLocation(p.ref);
  const patchSteps = steps.filter((s) => ACCOUNT_PATCH_FIXES.has(s.fix.type));
  const patch = Object.assign(
    {},
    ...patchSteps.map((s) => accountPatchFor(s.fix, p)),
  ) as StorageAccountUpdateParameters;
  const patchIds = new RequestIds();
  const accountPatch =
    patchSteps.length > 0
      ? clients.storage.storageAccounts.update(resourceGroup, account, withSdkPropertyMarkers(patch), {
          onResponse: patchIds.capture,
        })
      : undefined;
  // Attach a handler now so a failure is not "unhandled" while other calls run; settled per step below.
  accountPatch?.catch(() => {});

  return Promise.all(
    steps.map(async (step): Promise<StepSettlement> => {
      const before = beforeOf(step.fix, p);
      try {
        if (ACCOUNT_PATCH_FIXES.has(step.fix.type)) {
          const updated = await accountPatch!;
          const after =
            step.fix.type === 'disallow-public-containers'
              ? { allowBlobPublicAccess: updated.allowBlobPublicAccess }
              : {
                  enableHttpsTrafficOnly: updated.enableHttpsTrafficOnly,
                  minimumTlsVersion: updated.minimumTlsVersion,
                };
          return { ok: true, result: { before, after, requestIds: patchIds.list('StorageAccounts_Update') } };
        }
        const ids = new RequestIds();
        const fix = step.fix;
        switch (fix.type) {
          case 'isolate':
            return {
              ok: true,
              result: await containStorageAccount(clients, step, p, containment.note, containment.now ?? new Date()),
            };
          case 'set-container-access': {
            const after = await Promise.all(
              fix.containers.map(async (c) => {
                const updated = await clients.storage.blobContainers.update(
                  resourceGroup,
                  account,
                  c.name,
                  { publicAccess: 'None' },
                  { onResponse: ids.capture },
                );
                return { name: c.name, publicAccess: updated.publicAccess ?? 'None' };
              }),
            );
            return {
              ok: true,
              result: { before, after: { containers: after }, requestIds: ids.list('BlobContainers_Update') },
            };
          }
          case 'enable-logging': {
            const setting = await clients.monitor.diagnosticSettings.createOrUpdate(
              blobServiceId(p.ref.id),
              LOG_SETTING_NAME,
              {
                workspaceId: fix.target,
                logs: BLOB_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
              },
              { onResponse: ids.capture },
            );
            return {
              ok: true,
              result: {
                before,
                after: { diagnosticSetting: setting.name ?? LOG_SETTING_NAME, workspaceId: setting.workspaceId },
                requestIds: ids.list('DiagnosticSettings_CreateOrUpdate'),
              },
            };
          }
          case 'enable-encryption': {
            if (!fix.keyId) throw new UnsupportedResourceError('Azure encryption fixes need a Key Vault key URI');
            const updated = await clients.storage.storageAccounts.update(
              resourceGroup,
              account,
              { encryption: { keySource: 'Microsoft.Keyvault', keyVaultProperties: keyVaultProperties(fix.keyId) } },
              { onResponse: ids.capture },
            );
            return {
              ok: true,
              result: {
                before,
                after: { keySource: updated.encryption?.keySource, keyVault: updated.encryption?.keyVaultProperties },
                requestIds: ids.list('StorageAccounts_Update'),
              },
            };
          }
          default:
            throw new UnsupportedResourceError(`fix ${fix.type} does not apply to an Azure storage account`);
        }
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
}
