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

/** Every proper ancestor path of a lower-cased id at a segment boundary (`''`, `/subscriptions`, `/subscriptions/s`, …). */
function ancestors(key: string): string[] {
  const out: string[] = [];
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) out.push(key.slice(0, i));
  return out;
}

/**
 * In-memory state keyed case-insensitively, because ARM ids are case-insensitive: a GET with
 * `resourcegroups` or a lower-cased name finds what a PUT with `resourceGroups` created.
 *
 * Listing is indexed by (ancestor, type), so a list, a view that embeds children (an NSG's rules) or a delete
 * costs what it returns, not the size of the whole estate: ARM does not slow down as a subscription grows, and
 * neither may the emulator, or every sweep measured against it grows quadratically.
 */
export class ArmStore {
  private readonly resources = new Map<string, StoredResource>();
  private readonly groups = new Map<string, ResourceGroup>();
  /** `ancestor \n type` → resources of that type beneath that ancestor, in insertion order. */
  private readonly byScopeAndType = new Map<string, Map<string, StoredResource>>();
  /** ancestor → every key beneath it. */
  private readonly beneath = new Map<string, Set<string>>();

  reset(): void {
    this.resources.clear();
    this.groups.clear();
    this.byScopeAndType.clear();
    this.beneath.clear();
  }

  group(subscriptionId: string, name: string): ResourceGroup | undefined {
    return this.groups.get(`${subscriptionId}/${name}`.toLowerCase());
  }

  putGroup(subscriptionId: string, group: ResourceGroup): void {
    this.groups.set(`${subscriptionId}/${group.name}`.toLowerCase(), group);
  }

  deleteGroup(subscriptionId: string, name: string): void {
    this.groups.delete(`${subscriptionId}/${name}`.toLowerCase());
    const scope = `/subscriptions/${subscriptionId}/resourcegroups/${name}`.toLowerCase();
    for (const key of [...(this.beneath.get(scope) ?? [])]) this.remove(key);
  }

  get(id: string): StoredResource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  put(resource: StoredResource): void {
    const key = resource.id.toLowerCase();
    const existing = this.resources.get(key);
    // Same type: replaced in place everywhere, so listing order (and with it paging) stays stable.
    if (existing && existing.type.toLowerCase() !== resource.type.toLowerCase()) this.remove(key);
    this.resources.set(key, resource);
    const type = resource.type.toLowerCase();
    for (const a of ancestors(key)) {
      const k = `${a}\n${type}`;
      const bucket = this.byScopeAndType.get(k) ?? new Map<string, StoredResource>();
      if (bucket.size === 0) this.byScopeAndType.set(k, bucket);
      bucket.set(key, resource);
      const keys = this.beneath.get(a) ?? new Set<string>();
      if (keys.size === 0) this.beneath.set(a, keys);
      keys.add(key);
    }
  }

  /** Deletes the resource and everything beneath it (children and extension resources). */
  delete(id: string): boolean {
    const key = id.toLowerCase();
    const existed = this.remove(key);
    for (const k of [...(this.beneath.get(key) ?? [])]) this.remove(k);
    return existed;
  }

  /** Resources of `type` whose id starts with `scope/` (scope: subscription, group or parent resource). */
  list(scope: string, type: string): StoredResource[] {
    return [...(this.byScopeAndType.get(`${scope.toLowerCase()}\n${type.toLowerCase()}`)?.values() ?? [])];
  }

  private remove(key: string): boolean {
    const r = this.resources.get(key);
    if (!r) return false;
    this.resources.delete(key);
    const type = r.type.toLowerCase();
    for (const a of ancestors(key)) {
      const k = `${a}\n${type}`;
      const bucket = this.byScopeAndType.get(k);
      bucket?.delete(key);
      if (bucket?.size === 0) this.byScopeAndType.delete(k);
      const keys = this.beneath.get(a);
      keys?.delete(key);
      if (keys?.size === 0) this.beneath.delete(a);
    }
    return true;
  }
}
