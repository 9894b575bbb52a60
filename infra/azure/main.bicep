// Reflex on Azure, step 1 of 3 (infrastructure): deploy at subscription scope.
//   az deployment sub create -l <region> -f infra/azure/main.bicep -p @main.parameters.json
// Then deploy the code (zip) and, last, events.bicep (an Azure Function endpoint must exist before its event
// subscription). See infra/README.md and infra/azure/deploy.sh.
targetScope = 'subscription'

@description('Region of the resource group and the Function App.')
param location string = deployment().location

@description('Resource group for Reflex.')
param resourceGroupName string = 'rg-reflex'

@description('Prefix of resource names.')
@minLength(3)
@maxLength(11)
param namePrefix string = 'reflex'

@description('Deployment ceiling: dry-run turns every enforce into a ticket (REFLEX_KILL_SWITCH) and grants no write actions.')
@allowed([
  'enforce'
  'dry-run'
])
param mode string = 'dry-run'

@description('The policy as JSON (validated by infra/azure/parameters.ts).')
param policyJson string = '{"version":1}'

@description('Rules not off in the policy (infra/azure/parameters.ts computes them). The role can read for these.')
param enabledRules array = [
  'publicStorage'
  'openIngress'
  'unencryptedStorage'
  'storageWithoutLogging'
  'insecureTransport'
  'networkWithoutFlowLogs'
]

@description('Rules in enforce in the policy. The role can fix these (only when mode is enforce).')
param enforcedRules array = []

@description('Grant the manual function contain and undo.')
param containAndUndo bool = true

@description('An existing Log Analytics workspace (resource id) for Application Insights; empty: create one.')
param logAnalyticsWorkspaceId string = ''

@description('Ticket secrets: app setting name → Key Vault secret URI (https://<vault>.vault.azure.net/secrets/<name>). Grant the function identity "Key Vault Secrets User" on the vault.')
param ticketSecrets object = {}

@description('Subscriptions the timer sweeps (default: this one).')
param sweepSubscriptionIds array = [
  subscription().subscriptionId
]

@description('Entra ID app registration (client id) for App Service Authentication of the manual function; give responders its Reflex.Responder app role. Empty: Easy Auth off, the function key alone.')
param responderAppClientId string = ''

var reflex = loadJsonContent('generated/reflex.json')

// The custom role: exactly the generated actions for this policy (azure-functions/src/permissions.ts).
var readActions = flatten(map(enabledRules, rule => reflex.roleActions.read[rule]))
var enforceActions = mode == 'enforce' ? flatten(map(enforcedRules, rule => reflex.roleActions.enforce[rule])) : []
var manualActions = containAndUndo && mode == 'enforce' ? reflex.roleActions.manual : []
var roleActions = union(reflex.roleActions.sweep, readActions, enforceActions, manualActions)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
}

module app 'app.bicep' = {
  name: 'reflex-app'
  scope: rg
  params: {
    location: location
    namePrefix: namePrefix
    policyJson: policyJson
    killSwitch: mode == 'dry-run'
    logAnalyticsWorkspaceId: logAnalyticsWorkspaceId
    ticketSecrets: ticketSecrets
    sweepSubscriptionIds: sweepSubscriptionIds
    responderAppClientId: responderAppClientId
  }
}

resource reflexRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, namePrefix, 'reflex-remediator')
  properties: {
    roleName: '${namePrefix} remediator (${subscription().subscriptionId})'
    description: 'Generated from azure-functions/src/permissions.ts for the rules the Reflex policy enables.'
    type: 'CustomRole'
    permissions: [
      {
        actions: roleActions
        notActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource reflexRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, namePrefix, 'reflex-remediator-assignment')
  properties: {
    roleDefinitionId: reflexRole.id
    principalId: app.outputs.principalId
    principalType: 'ServicePrincipal'
    description: 'Reflex Function App identity'
  }
}

output resourceGroupName string = rg.name
output functionAppName string = app.outputs.functionAppName
output principalId string = app.outputs.principalId
output roleActions array = roleActions
output flowLogStorageActions array = reflex.flowLogStorageActions
