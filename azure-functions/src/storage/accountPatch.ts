import type { StorageAccountUpdateParameters } from '@azure/arm-storage';

/**
 * @azure/arm-storage 20.0.0 decides whether to send `properties` by looking for `AllowBlobPublicAccess` and
 * `EnableHttpsTrafficOnly` in PascalCase, so a PATCH setting only those is sent as `{}` and silently changes
 * nothing. Mirroring them in that casing (read by that check only, never serialised) makes the SDK send them.
 */
export function withSdkPropertyMarkers(patch: StorageAccountUpdateParameters): StorageAccountUpdateParameters {
  return Object.assign(
    { ...patch },
    patch.allowBlobPublicAccess !== undefined ? { AllowBlobPublicAccess: patch.allowBlobPublicAccess } : {},
    patch.enableHttpsTrafficOnly !== undefined ? { EnableHttpsTrafficOnly: patch.enableHttpsTrafficOnly } : {},
    patch.networkRuleSet !== undefined ? { NetworkRuleSet: patch.networkRuleSet } : {},
  );
}
