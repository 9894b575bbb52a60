import {
  type AuditRecord,
  type CallDescription,
  type CloudAdapter,
  type Fix,
  type Posture,
  type ReadScope,
  type ResourceRef,
  ResourceTypes,
  type RestoreResult,
  type Step,
  type StepSettlement,
  UnsupportedResourceError,
} from '@reflex/core';
import type { ArmClientCache } from './arm/clients.js';
import { isTransientArmError } from './arm/errors.js';
import type { ContainmentNote } from './containment.js';
import { applyNsgSteps, describeNsgFix } from './network/fixNsg.js';
import {
  applyFlowLogSteps,
  describeFlowLogFix,
  type FlowLogSettings,
  readVirtualNetwork,
  restoreFlowLogStep,
} from './network/flowLogs.js';
import { readNsg } from './network/readNsg.js';
import { restoreNsgStep } from './network/restoreNsg.js';
import { rereadNsg } from './network/verifyNsg.js';
import { applyStorageSteps, beforeOf, describeStorageFix, LOG_SETTING_NAME } from './storage/fixStorage.js';
import { readStorageAccount, rereadStorageAccount } from './storage/readStorage.js';
import { restoreStorageStep } from './storage/restoreStorage.js';

export interface AzureAdapterOptions {
  /** Traffic analytics workspace and retention for the flow logs Reflex creates (from the policy). */
  flowLogs?: FlowLogSettings;
  /** Who asked for a containment and why: written into the `reflex:contained` tag. */
  containment?: ContainmentNote;
  now?: () => Date;
}

/**
 * Reflex's Azure adapter: reads storage accounts, NSGs and virtual networks through ARM, turns fixes (and
 * containment) into ARM calls, and undoes them from the audit record.
 */
export class AzureAdapter implements CloudAdapter {
  readonly cloud = 'azure' as const;

  constructor(
    private readonly clients: ArmClientCache,
    private readonly options: AzureAdapterOptions = {},
  ) {}

  /** The same adapter for one manual request: its containment tag carries this reason and requester. */
  withContainment(note: ContainmentNote): AzureAdapter {
    return new AzureAdapter(this.clients, { ...this.options, containment: note });
  }

  async read(ref: ResourceRef, scope?: ReadScope): Promise<Posture | null> {
    const clients = this.clients.for(ref.account);
    if (ref.type === ResourceTypes.storageAccount) return readStorageAccount(clients, ref, scope?.rules);
    if (ref.type === ResourceTypes.nsg) return readNsg(clients, ref);
    if (ref.type === ResourceTypes.vnet) return readVirtualNetwork(clients, ref);
    throw new UnsupportedResourceError(`Reflex does not read ${ref.type} on Azure`);
  }

  /**
   * The verifying read: for a storage account only what the steps wrote (the account, the containers, the
   * diagnostic setting), in parallel; for an NSG its GET, which carries the security rules, folding in the end
   * of the rule write `apply` left running (network/verifyNsg.ts); otherwise `read`.
   */
  async reread(ref: ResourceRef, before: Posture, steps: Step[]): Promise<Posture | null> {
    if (before.kind === 'storage' && ref.type === ResourceTypes.storageAccount)
      return rereadStorageAccount(this.clients.for(ref.account), ref, before, steps, LOG_SETTING_NAME);
    if (before.kind === 'firewall' && ref.type === ResourceTypes.nsg)
      return rereadNsg(this.clients.for(ref.account), ref, before);
    return this.read(ref);
  }

  describe(fix: Fix, posture: Posture, _plan?: readonly Fix[]): CallDescription[] {
    // Each account update sets only its own fix's properties (describeStorageFix): nothing to merge from the plan.
    if (fix.type === 'isolate' && posture.kind !== 'storage' && posture.kind !== 'firewall') {
      throw new UnsupportedResourceError(
        `Reflex cannot contain ${posture.ref.type} on Azure (storage accounts and network security groups only)`,
      );
    }
    if (posture.kind === 'storage') return describeStorageFix(fix, posture);
    if (posture.kind === 'firewall') return describeNsgFix(fix, posture);
    if (posture.kind === 'network') return describeFlowLogFix(fix, posture);
    return [];
  }

  /**
   * A storage step's before, for the write-ahead audit record. Its after is what the PATCH answers (ARM may
   * normalise it), so it is recorded once applied.
   */
  preview(step: Step, posture: Posture): { before: unknown; after: unknown } | undefined {
    if (posture.kind !== 'storage' || step.fix.type === 'isolate') return undefined;
    return { before: beforeOf(step.fix, posture), after: undefined };
  }

  async apply(steps: Step[], posture: Posture): Promise<StepSettlement[]> {
    const clients = this.clients.for(posture.ref.account);
    const containment = { note: this.options.containment, now: (this.options.now ?? (() => new Date()))() };
    if (posture.kind === 'storage') return applyStorageSteps(clients, steps, posture, containment);
    if (posture.kind === 'firewall') return applyNsgSteps(clients, steps, posture, containment);
    if (posture.kind === 'network') return applyFlowLogSteps(clients, steps, posture, this.options.flowLogs ?? {});
    const error = new UnsupportedResourceError(`Reflex cannot fix ${posture.kind} postures on Azure`);
    return steps.map(() => ({ ok: false, error }));
  }

  /**
   * Undo of one applied step. Compares what the step wrote with what is there now: changed since → refused,
   * with the differences; still as written → the recorded before is put back; already back → nothing to do.
   */
  async restore(record: AuditRecord, opts: { check: boolean }): Promise<RestoreResult> {
    const clients = this.clients.for(record.resource.account);
    const type = record.resource.type;
    if (type === ResourceTypes.storageAccount) return restoreStorageStep(clients, record, opts.check);
    if (type === ResourceTypes.nsg) return restoreNsgStep(clients, record, opts.check);
    if (type === ResourceTypes.vnet && record.fix.type === 'enable-flow-logs')
      return restoreFlowLogStep(clients, record, opts.check);
    return { status: 'refused', differences: [`Reflex cannot undo ${record.fix.type} on ${type}`] };
  }

  isTransient(err: unknown): boolean {
    return isTransientArmError(err);
  }
}
