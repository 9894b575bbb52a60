// Optional: audit assignments of the built-in policy definitions the parser maps, so that their state changes
// feed the bot. Assigned with enforcementMode DoNotEnforce: Azure Policy evaluates and reports; Reflex fixes.
//   az deployment sub create -l <region> -f infra/azure/policy.bicep
targetScope = 'subscription'

param location string = deployment().location
param namePrefix string = 'reflex'

@description('Parameters per definition name (GUID), for built-ins that require some (e.g. a Log Analytics workspace).')
param definitionParameters object = {}

var reflex = loadJsonContent('generated/reflex.json')

resource assignments 'Microsoft.Authorization/policyAssignments@2024-04-01' = [for d in reflex.policyDefinitions: {
  name: take('${namePrefix}-${d.name}', 64)
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    displayName: 'Reflex: ${d.displayName}'
    policyDefinitionId: tenantResourceId('Microsoft.Authorization/policyDefinitions', d.name)
    enforcementMode: 'DoNotEnforce'
    parameters: contains(definitionParameters, d.name) ? definitionParameters[d.name] : {}
  }
}]
