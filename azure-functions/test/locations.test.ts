import { type ResourceRef, refFromArmId } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import { nsgLocation } from '../src/network/readNsg.js';
import { accountLocation } from '../src/storage/readStorage.js';

const RG_ID = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/RG-Prod';

describe('where a resource lives (resource group and name for the SDK calls)', () => {
  it('takes them from a ref made from the id, in the id casing', () => {
    expect(accountLocation(refFromArmId(`${RG_ID}/providers/Microsoft.Storage/storageAccounts/stprod`))).toEqual({
      resourceGroup: 'RG-Prod',
      account: 'stprod',
    });
    expect(nsgLocation(refFromArmId(`${RG_ID}/providers/Microsoft.Network/networkSecurityGroups/nsg-web`))).toEqual({
      resourceGroup: 'RG-Prod',
      nsg: 'nsg-web',
    });
  });

  it('parses the id of a child or a ref that lacks the fields: a rule names its NSG, not itself', () => {
    const rule = refFromArmId(`${RG_ID}/providers/Microsoft.Network/networkSecurityGroups/nsg-web/securityRules/ssh`);
    expect(nsgLocation(rule)).toEqual({ resourceGroup: 'RG-Prod', nsg: 'nsg-web' });
    const bare: ResourceRef = {
      cloud: 'azure',
      partition: 'AzureCloud',
      account: '00000000-0000-0000-0000-000000000001',
      region: '',
      type: 'Microsoft.Storage/storageAccounts',
      id: `${RG_ID}/providers/Microsoft.Storage/storageAccounts/stprod`,
      name: 'stprod',
    };
    expect(accountLocation(bare)).toEqual({ resourceGroup: 'RG-Prod', account: 'stprod' });
  });
});
