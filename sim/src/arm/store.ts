/** A stored ARM resource: its id as first written (ARM keeps the creator's casing) and its JSON body. */
export interface StoredResource {
  id: string;
  /** Full type, e.g. `Microsoft.Network/networkSecurityGroups/securityRules`. */
  type: string;
  body: Record<string, unknown>;
}

export interface ResourceGroup {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
}

/**
 * In-memory state keyed case-insensitively, because ARM ids are case-insensitive: a GET with
 * `resourcegroups` or a lower-cased name finds what a PUT with `resourceGroups` created.
 */
export class ArmStore {
  private readonly resources = new Map<string, StoredResource>();
  private readonly groups = new Map<string, ResourceGroup>();

  reset(): void {
    this.resources.clear();
    this.groups.clear();
  }

  group(subscriptionId: string, name: string): ResourceGroup | undefined {
    return this.groups.get(`${subscriptionId}/${name}`.toLowerCase());
  }

  putGroup(subscriptionId: string, group: ResourceGroup): void {
    this.groups.set(`${subscriptionId}/${group.name}`.toLowerCase(), group);
  }

  deleteGroup(subscriptionId: string, name: string): void {
    this.groups.delete(`${subscriptionId}/${name}`.toLowerCase());
    const prefix = `/subscriptions/${subscriptionId}/resourcegroups/${name}/`.toLowerCase();
    for (const key of [...this.resources.keys()]) if (key.startsWith(prefix)) this.resources.delete(key);
  }

  get(id: string): StoredResource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  put(resource: StoredResource): void {
    this.resources.set(resource.id.toLowerCase(), resource);
  }

  /** Deletes the resource and everything beneath it (children and extension resources). */
  delete(id: string): boolean {
    const key = id.toLowerCase();
    const existed = this.resources.delete(key);
    for (const k of [...this.resources.keys()]) if (k.startsWith(`${key}/`)) this.resources.delete(k);
    return existed;
  }

  /** Resources of `type` whose id starts with `scope/` (scope: subscription, group or parent resource). */
  list(scope: string, type: string): StoredResource[] {
    const prefix = `${scope.toLowerCase()}/`;
    const t = type.toLowerCase();
    return [...this.resources.entries()]
      .filter(([key, r]) => key.startsWith(prefix) && r.type.toLowerCase() === t)
      .map(([, r]) => r);
  }
}
