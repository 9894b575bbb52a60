// Reflex on Azure, step 3 of 3 (after the code is deployed): the event subscriptions to the function.
//   az deployment group create -g rg-reflex -f infra/azure/events.bicep -p functionAppName=<from step 1>
targetScope = 'resourceGroup'

param functionAppName string
param namePrefix string = 'reflex'

@description('The Event Grid trigger registered in azure-functions/src/app.ts.')
param functionName string = 'reflexEvents'

var reflex = loadJsonContent('generated/reflex.json')

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource resourceTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: '${namePrefix}-resources'
}

resource policyTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: '${namePrefix}-policy-states'
}

var destination = {
  endpointType: 'AzureFunction'
  properties: {
    resourceId: '${functionApp.id}/functions/${functionName}'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}

// Writes of what the parser governs, and deletes that turn logging off: exactly the parser's operation names.
resource resourceEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: resourceTopic
  name: '${namePrefix}-resource-changes'
  properties: {
    destination: destination
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: reflex.resourceEventTypes
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: reflex.operationNames
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

// Non-compliant states of the built-in policy definitions the parser maps.
resource policyEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: policyTopic
  name: '${namePrefix}-policy-states'
  properties: {
    destination: destination
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: reflex.policyEventTypes
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.complianceState'
          values: [
            'NonCompliant'
          ]
        }
        {
          operatorType: 'StringEndsWith'
          key: 'data.policyDefinitionId'
          values: map(reflex.policyDefinitions, d => d.name)
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}
