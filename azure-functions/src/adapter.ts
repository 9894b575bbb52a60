import {
  type CallDescription,
  type CloudAdapter,
  type Fix,
  type Posture,
  type ResourceRef,
  ResourceTypes,
  type Step,
  type StepSettlement,
  UnsupportedResourceError,
} from '@reflex/core';
import type { ArmClientCache } from './arm/clients.js';
import { isTransientArmError } from './arm/errors.js';
import { applyNsgSteps, describeNsgFix } from './network/fixNsg.js';
import { readNsg } from './network/readNsg.js';
import { applyStorageSteps, describeStorageFix } from './storage/fixStorage.js';
import { readStorageAccount } from './storage/readStorage.js';

/** Reflex's Azure adapter: reads storage accounts and NSGs through ARM and turns fixes into ARM calls. */
export class AzureAdapter implements CloudAdapter {
  readonly cloud = 'azure' as const;

  constructor(private readonly clients: ArmClientCache) {}

  async read(ref: ResourceRef): Promise<Posture | null> {
    const clients = this.clients.for(ref.account);
    if (ref.type === ResourceTypes.storageAccount) return readStorageAccount(clients, ref);
    if (ref.type === ResourceTypes.nsg) return readNsg(clients, ref);
    throw new UnsupportedResourceError(`Reflex does not read ${ref.type} on Azure`);
  }

  describe(fix: Fix, posture: Posture): CallDescription[] {
    if (posture.kind === 'storage') return describeStorageFix(fix, posture);
    if (posture.kind === 'firewall') return describeNsgFix(fix, posture);
    return [];
  }

  async apply(steps: Step[], posture: Posture): Promise<StepSettlement[]> {
    const clients = this.clients.for(posture.ref.account);
    if (posture.kind === 'storage') return applyStorageSteps(clients, steps, posture);
    if (posture.kind === 'firewall') return applyNsgSteps(clients, steps, posture);
    const error = new UnsupportedResourceError(`Reflex cannot fix ${posture.kind} postures on Azure`);
    return steps.map(() => ({ ok: false, error }));
  }

  isTransient(err: unknown): boolean {
    return isTransientArmError(err);
  }
}
