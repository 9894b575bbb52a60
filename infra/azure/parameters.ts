/**
 * Turns a Reflex policy file into main.bicep parameters: the policy (validated, as JSON), the rules it enables and
 * enforces (the custom role follows them), and the Entra ID app for the manual function's App Service Authentication.
 * Usage: npx tsx infra/azure/parameters.ts reflex.yaml [enforce|dry-run] [responder-app-client-id] > main.parameters.json
 * The bot learns its own managed identity at run time (the loop guard): the policy need not list it.
 */
import { loadPolicyFile, type Mode, PolicyError, RULE_NAMES } from '@reflex/core';

const [file, mode, responderApp] = process.argv.slice(2);
if (!file) {
  console.error('usage: parameters.ts <policy.yaml> [enforce|dry-run] [responder-app-client-id]');
  process.exit(2);
}
if (responderApp && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(responderApp)) {
  console.error(`responder-app-client-id: ${JSON.stringify(responderApp)} is not an Entra ID application (client) id`);
  process.exit(2);
}
try {
  const policy = loadPolicyFile(file);
  const modeOf = (r: (typeof RULE_NAMES)[number]) =>
    (policy.rules[r] as { mode?: Mode } | undefined)?.mode ?? policy.mode;
  const parameters = {
    policyJson: { value: JSON.stringify(policy) },
    enabledRules: { value: RULE_NAMES.filter((r) => modeOf(r) !== 'off') },
    enforcedRules: { value: RULE_NAMES.filter((r) => modeOf(r) === 'enforce') },
    ...(mode ? { mode: { value: mode } } : {}),
    ...(responderApp ? { responderAppClientId: { value: responderApp } } : {}),
  };
  console.log(
    JSON.stringify(
      {
        $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
        contentVersion: '1.0.0.0',
        parameters,
      },
      null,
      2,
    ),
  );
} catch (err) {
  if (err instanceof PolicyError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
