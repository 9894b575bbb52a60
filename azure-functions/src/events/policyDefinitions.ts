import type { RuleName } from '@reflex/core';

/**
 * Built-in Azure Policy definitions whose non-compliance one of our rules closes, by definition name (GUID).
 * The ids are Microsoft's (see the Azure Policy built-in reference); a policy state event names the definition
 * it evaluated, so the rule list narrows what Reflex checks on the resource. Unknown definitions are ignored.
 */
export const POLICY_RULES: Record<string, { rules: RuleName[]; displayName: string }> = {
  '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751': {
    rules: ['publicStorage'],
    displayName: 'Storage account public access should be disallowed',
  },
  '404c3081-a854-4457-ae30-26a93ef643f9': {
    rules: ['insecureTransport'],
    displayName: 'Secure transfer to storage accounts should be enabled',
  },
  'fe83a0eb-a853-422d-aac2-1bffd182c5d0': {
    rules: ['insecureTransport'],
    displayName: 'Storage accounts should have the specified minimum TLS version',
  },
  'b4fe1a3b-0715-4c6c-a5ea-ffc33cf823cb': {
    rules: ['storageWithoutLogging'],
    displayName: 'Configure diagnostic settings for Blob Services to Log Analytics workspace',
  },
  '4733ea7b-a883-42fe-8cac-97454c2a9e4a': {
    rules: ['unencryptedStorage'],
    displayName: 'Storage accounts should have infrastructure encryption',
  },
  '6fac406b-40ca-413b-bf8e-0bf964659c25': {
    rules: ['unencryptedStorage'],
    displayName: 'Storage accounts should use customer-managed key for encryption',
  },
  '22730e10-96f6-4aac-ad84-9383d35b5917': {
    rules: ['openIngress'],
    displayName: 'Management ports should be closed on your virtual machines',
  },
  '9daedab3-fb2d-461e-b861-71790eead4f6': {
    rules: ['openIngress'],
    displayName: 'All network ports should be restricted on network security groups associated to your virtual machine',
  },
};

/** `/providers/Microsoft.Authorization/policyDefinitions/{guid}` (any casing, any scope) → its mapping. */
export function rulesForPolicyDefinition(definitionId: string) {
  const name = definitionId.split('/').filter(Boolean).pop()?.toLowerCase() ?? '';
  return POLICY_RULES[name];
}
