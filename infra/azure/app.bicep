// Reflex's resources in its resource group (a module of main.bicep): Function App on Flex Consumption with a
// system-assigned identity, its storage (identity-based, no shared keys), Application Insights on Log Analytics,
// and the Event Grid system topics for the subscription's resource and policy events.
param location string
param namePrefix string
param policyJson string
param killSwitch bool
param logAnalyticsWorkspaceId string
param ticketSecrets object
param sweepSubscriptionIds array
@description('Entra ID app registration (client id) for App Service Authentication of the manual function; responders hold its Reflex.Responder app role. Empty: Easy Auth off, the function key alone (recorded as "function key").')
param responderAppClientId string

// Easy Auth on: the platform validates the Entra ID token and sets x-ms-client-principal*, and the bot trusts those
// headers only because REFLEX_EASY_AUTH says the platform set them (without it they are forgeable and ignored).
var easyAuth = !empty(responderAppClientId)

var suffix = uniqueString(resourceGroup().id)
var storageName = toLower(take('${namePrefix}${suffix}', 24))
var deploymentContainer = 'app-package'
var createWorkspace = empty(logAnalyticsWorkspaceId)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = if (createWorkspace) {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 90
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: createWorkspace ? workspace.id : logAnalyticsWorkspaceId
    DisableLocalAuth: false
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

var baseSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: insights.properties.ConnectionString
  }
  {
    name: 'REFLEX_POLICY'
    value: policyJson
  }
  {
    name: 'REFLEX_KILL_SWITCH'
    value: killSwitch ? 'on' : 'off'
  }
  {
    name: 'REFLEX_SUBSCRIPTION_IDS'
    value: join(sweepSubscriptionIds, ',')
  }
  {
    name: 'REFLEX_EASY_AUTH'
    value: easyAuth ? 'on' : 'off'
  }
]
// Key Vault references: the platform resolves them with the app's identity.
var secretSettings = [for secret in items(ticketSecrets): {
  name: secret.key
  value: '@Microsoft.KeyVault(SecretUri=${secret.value})'
}]

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: '${namePrefix}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(baseSettings, secretSettings)
    }
  }
}

// App Service Authentication (Entra ID) in front of the HTTP functions: an unauthenticated request gets 401 before
// the code runs. Event Grid's deliveries (the system-key webhook, and the events webhook route) are excluded: they
// authenticate with the function's keys and a validation handshake.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (easyAuth) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: [
        '/runtime/webhooks/eventgrid'
        '/api/events'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: responderAppClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${responderAppClientId}'
            responderAppClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// The app's own storage, by identity: the package and host state (blob), triggers (queue), Reflex's state (table).
var storageRoles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(storageRoles): {
  name: guid(storage.id, functionApp.id, role.value)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

// Event Grid system topics for the subscription: resource writes/deletes, and Azure Policy state changes.
resource resourceTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${namePrefix}-resources'
  location: 'global'
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource policyTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${namePrefix}-policy-states'
  location: 'global'
  properties: {
    source: subscription().id
    topicType: 'Microsoft.PolicyInsights.PolicyStates'
  }
}

output functionAppName string = functionApp.name
output principalId string = functionApp.identity.principalId
output easyAuth bool = easyAuth
output resourceTopicName string = resourceTopic.name
output policyTopicName string = policyTopic.name
