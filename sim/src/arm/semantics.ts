import { randomBytes, randomUUID } from 'node:crypto';
import { asyncOperationPath, locationPath, type Operations, POLL_PATH } from './lro.js';
import { ArmError, kindOf, type ResourceKind } from './resources.js';
import type { SpecCatalogue, SpecOperation } from './spec.js';
import type { ArmStore, StoredResource } from './store.js';

type Json = Record<string, unknown>;

export interface ArmRequest {
  method: string;
  /** Path only, no query. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** `https://127.0.0.1:PORT`, for nextLink and polling URLs. */
  endpoint: string;
}

export interface ArmResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** The spec operation this request matched (undefined: resource groups, polling, unknown paths). */
  operation?: SpecOperation;
  /** Set on a successful write: what Event Grid would report. */
  write?: { kind: 'write' | 'delete' | 'action'; resourceUri: string; operationName: string; resourceProvider: string };
}

export interface SemanticsOptions {
  pageSize: number;
}

const API_VERSION_FORMAT = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

export function armError(status: number, code: string, message: string): ArmResponse {
  return { status, headers: {}, body: { error: { code, message } } };
}

/** A parsed ARM address: `{scope}/providers/{ns}/{type}/{name}[/{type}/{name}...][/{collection}]`. */
interface Address {
  scope: string;
  provider: string;
  /** Full type, e.g. `Microsoft.Storage/storageAccounts/blobServices/containers`. */
  type: string;
  /** Resource id for an item, or the parent id (or scope) for a collection. */
  id: string;
  name?: string;
  parentId?: string;
  isCollection: boolean;
}

function parseAddress(path: string): Address | undefined {
  const at = path.toLowerCase().lastIndexOf('/providers/');
  if (at < 0) return undefined;
  const scope = path.slice(0, at);
  const segments = path.slice(at + '/providers/'.length).split('/');
  const provider = segments.shift();
  if (!provider || segments.length === 0) return undefined;
  const types: string[] = [];
  let id = `${scope}/providers/${provider}`;
  let parentId: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < segments.length; i += 2) {
    types.push(segments[i]!);
    if (i + 1 < segments.length) {
      parentId = types.length > 1 ? id : undefined;
      id = `${id}/${segments[i]}/${segments[i + 1]}`;
      name = segments[i + 1];
    }
  }
  const isCollection = segments.length % 2 === 1;
  return {
    scope,
    provider,
    type: `${provider}/${types.join('/')}`,
    // For a collection the "id" is its parent (or the scope for a top-level list).
    id: isCollection ? (types.length > 1 ? id : scope) : id,
    name: isCollection ? undefined : name,
    parentId: isCollection ? undefined : parentId,
    isCollection,
  };
}

export class ArmSemantics {
  constructor(
    private readonly store: ArmStore,
    private readonly catalogue: SpecCatalogue,
    private readonly operations: Operations,
    private readonly options: SemanticsOptions,
  ) {}

  handle(req: ArmRequest): ArmResponse {
    let res: ArmResponse;
    try {
      res = this.route(req);
    } catch (err) {
      if (!(err instanceof ArmError)) throw err;
      res = armError(err.status, err.code, err.message);
      res.operation = this.catalogue.find(req.method, req.path);
    }
    // Microsoft.Insights declares its errors flat (`{code, message}`), unlike the ARM `{error: {...}}` envelope.
    const error = (res.body as { error?: unknown } | undefined)?.error;
    if (res.status >= 400 && error && res.operation?.file.startsWith('monitor/')) res.body = error;
    return res;
  }

  private route(req: ArmRequest): ArmResponse {
    const poll = POLL_PATH.exec(req.path);
    if (poll) return this.poll(req, poll[1]!.toLowerCase() === 'operations', poll[2]!);

    const apiVersion = req.query.get('api-version');
    if (!apiVersion) {
      return armError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!API_VERSION_FORMAT.test(apiVersion)) {
      return armError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are in the format 'yyyy-mm-dd' or 'yyyy-mm-dd-preview'.`,
      );
    }

    const group = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)$/i.exec(req.path);
    if (group) return this.resourceGroup(req, group[1]!, decodeURIComponent(group[2]!));

    const matching = this.catalogue.matchPath(req.path);
    const address = parseAddress(req.path);
    if (matching.length === 0 || !address) {
      return armError(400, 'InvalidResourceType', `The resource type could not be found for path '${req.path}'.`);
    }
    const forVersion = matching.filter((op) => op.apiVersion === apiVersion);
    if (forVersion.length === 0) {
      const supported = [...new Set(matching.map((op) => op.apiVersion))].join(', ');
      return armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'global' and API version '${apiVersion}' for type '${address.type.split('/').slice(1).join('/')}'. The supported api-versions are '${supported}'.`,
      );
    }
    const operation = forVersion.find((op) => op.method === req.method);
    if (!operation) {
      return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`);
    }
    const kind = kindOf(address.type);
    if (!kind) {
      return { ...armError(501, 'NotImplemented', `The emulator does not hold ${address.type}.`), operation };
    }
    const scopeError = this.checkScope(address);
    if (scopeError) return { ...scopeError, operation };

    const res = this.dispatch(req, operation, kind, address);
    return { ...res, operation };
  }

  private dispatch(req: ArmRequest, op: SpecOperation, kind: ResourceKind, a: Address): ArmResponse {
    if (a.isCollection) {
      if (req.method !== 'GET') return armError(405, 'MethodNotAllowed', `Collections support GET only.`);
      return this.list(req, op, kind, a);
    }
    switch (req.method) {
      case 'GET': {
        const found = this.store.get(a.id);
        if (!found) return notFound(a);
        return { status: 200, headers: etagHeader(found), body: this.view(found) };
      }
      case 'PUT':
        return this.put(req, op, kind, a);
      case 'PATCH':
        return this.patch(req, op, kind, a);
      case 'DELETE':
        return this.delete(req, op, kind, a);
      default:
        return armError(501, 'NotImplemented', `The emulator does not implement ${op.operationId}.`);
    }
  }

  private checkScope(a: Address): ArmResponse | undefined {
    const sub = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?/i.exec(a.scope);
    if (!sub) return armError(400, 'InvalidScope', `Unsupported scope '${a.scope}'.`);
    const [, subscriptionId, groupName] = sub;
    if (groupName && !this.store.group(subscriptionId!, decodeURIComponent(groupName))) {
      return armError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${decodeURIComponent(groupName)}' could not be found.`,
      );
    }
    // Extension resources hang off another resource, which must exist.
    const scopeIsResource = /\/providers\//i.test(a.scope);
    if (scopeIsResource && !this.store.get(a.scope)) {
      return armError(404, 'ResourceNotFound', `The Resource '${a.scope}' was not found.`);
    }
    const parent = a.isCollection ? (a.id !== a.scope ? a.id : undefined) : a.parentId;
    if (parent && !this.store.get(parent)) {
      const parentAddress = parseAddress(parent);
      return armError(
        404,
        'ParentResourceNotFound',
        `Can not perform requested operation on nested resource. Parent resource '${parentAddress?.name ?? parent}' not found.`,
      );
    }
    return undefined;
  }

  private view(r: StoredResource): Json {
    return kindOf(r.type)?.view?.(r, this.store) ?? r.body;
  }

  private list(req: ArmRequest, op: SpecOperation, kind: ResourceKind, a: Address): ArmResponse {
    const all = this.store.list(a.id, kind.type);
    if (!op.nextLinkName) return { status: 200, headers: {}, body: { value: all.map((r) => this.view(r)) } };
    const skip = Number(req.query.get('$skipToken') ?? 0) || 0;
    // Only the page is rendered: a view may embed children, and a list is paged precisely to bound its cost.
    const page = all.slice(skip, skip + this.options.pageSize).map((r) => this.view(r));
    const body: Json = { value: page };
    if (skip + this.options.pageSize < all.length) {
      const next = new URLSearchParams(req.query);
      next.set('$skipToken', String(skip + this.options.pageSize));
      body[op.nextLinkName] = `${req.endpoint}${req.path}?${next.toString()}`;
    }
    return { status: 200, headers: {}, body };
  }

  private groupLocation(a: Address): string {
    const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)/i.exec(a.id);
    return (m && this.store.group(m[1]!, decodeURIComponent(m[2]!))?.location) || 'eastus';
  }

  private write(kind: ResourceKind, a: Address, body: Json, existing?: StoredResource): StoredResource {
    const id = existing?.id ?? a.id;
    const parent = a.parentId ? this.store.get(a.parentId) : undefined;
    const name = kind.fixedName ?? existing?.body['name'] ?? a.name!;
    const stored = kind.put({
      id,
      name: String(name),
      type: kind.type,
      body,
      existing,
      store: this.store,
      groupLocation: (parent?.body['location'] as string | undefined) ?? this.groupLocation(a),
      parent,
    });
    if (kind.etag === 'weak') stored['etag'] = `W/"${randomUUID()}"`;
    if (kind.etag === 'blob') stored['etag'] = `"0x8D${randomBytes(6).toString('hex').toUpperCase()}"`;
    const record: StoredResource = { id, type: kind.type, body: stored };
    this.store.put(record);
    if (!existing) for (const child of kind.implicitChildren?.(record) ?? []) this.store.put(child);
    if (kind.embedded) this.writeEmbedded(kind, record, body);
    return record;
  }

  /** A parent PUT carries its children (NSG securityRules): the set in the body becomes the set stored. */
  private writeEmbedded(kind: ResourceKind, parent: StoredResource, body: Json): void {
    const { childType, property } = kind.embedded!;
    const requested = (body['properties'] as Json | undefined)?.[property];
    if (!Array.isArray(requested)) return;
    const childKind = kindOf(childType)!;
    const keep = new Set<string>();
    const segment = childType.split('/').pop()!;
    for (const child of requested as Json[]) {
      const childId = `${parent.id}/${segment}/${String(child['name'])}`;
      keep.add(childId.toLowerCase());
      const existing = this.store.get(childId);
      const stored = childKind.put({
        id: existing?.id ?? childId,
        name: String(child['name']),
        type: childType,
        body: child,
        existing,
        store: this.store,
        groupLocation: '',
        parent,
      });
      stored['etag'] = parent.body['etag'];
      this.store.put({ id: existing?.id ?? childId, type: childType, body: stored });
    }
    for (const old of this.store.list(parent.id, childType)) {
      if (!keep.has(old.id.toLowerCase())) this.store.delete(old.id);
    }
  }

  private put(req: ArmRequest, op: SpecOperation, kind: ResourceKind, a: Address): ArmResponse {
    if (kind.readOnly) return armError(405, 'MethodNotAllowed', `${kind.type} is read-only.`);
    if (kind.fixedName && a.name?.toLowerCase() !== kind.fixedName) {
      return armError(400, 'InvalidResourceName', `The only supported name is '${kind.fixedName}'.`);
    }
    const existing = this.store.get(a.id);
    const record = this.write(kind, a, asJson(req.body), existing);
    const write = writeFacts('write', record.id, a);
    const created = !existing;
    if (op.longRunning && created) {
      // Azure answers a long-running create before it is done: 201 with the body where declared, else 202.
      const status = op.successCodes.includes(201) ? 201 : 202;
      const lro = this.lroHeaders(req, op, a, record.id, 200);
      return {
        status,
        headers: { ...lro, ...etagHeader(record) },
        body: status === 201 ? this.view(record) : undefined,
        write,
      };
    }
    const status = created && op.successCodes.includes(201) ? 201 : 200;
    return { status, headers: etagHeader(record), body: this.view(record), write };
  }

  private patch(req: ArmRequest, op: SpecOperation, kind: ResourceKind, a: Address): ArmResponse {
    const existing = this.store.get(a.id);
    if (!existing) return notFound(a);
    const patch = asJson(req.body);
    // ARM PATCH merges: top-level fields replace, `properties` merge one level deep, `tags` replace as a whole.
    const merged: Json = { ...existing.body, ...patch };
    if (patch['properties'] !== undefined) {
      merged['properties'] = { ...asJson(existing.body['properties']), ...asJson(patch['properties']) };
    }
    const record = this.write(kind, a, merged, existing);
    return {
      status: op.successCodes[0] ?? 200,
      headers: etagHeader(record),
      body: this.view(record),
      write: writeFacts('write', record.id, a),
    };
  }

  private delete(req: ArmRequest, op: SpecOperation, _kind: ResourceKind, a: Address): ArmResponse {
    const existing = this.store.get(a.id);
    if (!existing) {
      return { status: op.successCodes.includes(204) ? 204 : 200, headers: {} };
    }
    this.store.delete(existing.id);
    const write = writeFacts('delete', existing.id, a);
    if (op.longRunning && op.successCodes.includes(202)) {
      return { status: 202, headers: this.lroHeaders(req, op, a, undefined, 204), write };
    }
    return { status: 200, headers: {}, write };
  }

  /** Polling headers as the spec's `final-state-via` implies for this provider. */
  private lroHeaders(
    req: ArmRequest,
    op: SpecOperation,
    a: Address,
    resourceId: string | undefined,
    done: 200 | 204,
  ): Record<string, string> {
    const lro = this.operations.start(resourceId, done);
    const sub = /^\/subscriptions\/([^/]+)/i.exec(a.id)?.[1] ?? 'unknown';
    const location = this.groupLocation(a);
    const q = `?api-version=${op.apiVersion}`;
    const asyncUrl = `${req.endpoint}${asyncOperationPath(sub, a.provider, location, lro.id)}${q}`;
    const locationUrl = `${req.endpoint}${locationPath(sub, a.provider, location, lro.id)}${q}`;
    switch (op.finalStateVia) {
      case 'azure-async-operation':
        return { 'azure-asyncoperation': asyncUrl };
      case 'location':
        return { 'azure-asyncoperation': asyncUrl, location: locationUrl };
      default:
        return { location: locationUrl };
    }
  }

  private poll(req: ArmRequest, isStatus: boolean, id: string): ArmResponse {
    const result = this.operations.poll(id);
    if (!result) return armError(404, 'OperationNotFound', `Operation '${id}' was not found.`);
    const { op, done } = result;
    if (isStatus) {
      return {
        status: 200,
        headers: {},
        body: {
          name: op.id,
          status: done ? 'Succeeded' : 'InProgress',
          startTime: op.startTime,
          ...(done ? { endTime: new Date().toISOString() } : {}),
        },
      };
    }
    if (!done) return { status: 202, headers: { location: `${req.endpoint}${req.path}?${req.query.toString()}` } };
    const resource = op.resourceId ? this.store.get(op.resourceId) : undefined;
    if (op.doneStatus === 200 && resource) return { status: 200, headers: {}, body: this.view(resource) };
    return { status: 204, headers: {} };
  }

  private resourceGroup(req: ArmRequest, subscriptionId: string, name: string): ArmResponse {
    const existing = this.store.group(subscriptionId, name);
    const view = (g: { id: string; name: string; location: string; tags?: Record<string, string> }) => ({
      id: g.id,
      name: g.name,
      type: 'Microsoft.Resources/resourceGroups',
      location: g.location,
      ...(g.tags ? { tags: g.tags } : {}),
      properties: { provisioningState: 'Succeeded' },
    });
    switch (req.method) {
      case 'GET':
        return existing
          ? { status: 200, headers: {}, body: view(existing) }
          : armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
      case 'PUT': {
        const body = asJson(req.body);
        const group = {
          id: existing?.id ?? `/subscriptions/${subscriptionId}/resourceGroups/${name}`,
          name: existing?.name ?? name,
          location: typeof body['location'] === 'string' ? body['location'] : (existing?.location ?? 'eastus'),
          tags: (body['tags'] as Record<string, string> | undefined) ?? existing?.tags,
        };
        this.store.putGroup(subscriptionId, group);
        return {
          status: existing ? 200 : 201,
          headers: {},
          body: view(group),
          write: {
            kind: 'write',
            resourceUri: group.id,
            operationName: 'Microsoft.Resources/subscriptions/resourceGroups/write',
            resourceProvider: 'Microsoft.Resources',
          },
        };
      }
      case 'DELETE':
        if (!existing) return { status: 204, headers: {} };
        this.store.deleteGroup(subscriptionId, name);
        return {
          status: 200,
          headers: {},
          write: {
            kind: 'delete',
            resourceUri: existing.id,
            operationName: 'Microsoft.Resources/subscriptions/resourceGroups/delete',
            resourceProvider: 'Microsoft.Resources',
          },
        };
      default:
        return armError(
          405,
          'MethodNotAllowed',
          `The requested resource does not support http method '${req.method}'.`,
        );
    }
  }
}

function asJson(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function etagHeader(r: StoredResource): Record<string, string> {
  return typeof r.body['etag'] === 'string' ? { etag: r.body['etag'] } : {};
}

function notFound(a: Address): ArmResponse {
  const group = /\/resourcegroups\/([^/]+)/i.exec(a.id)?.[1];
  return armError(
    404,
    'ResourceNotFound',
    `The Resource '${a.type}/${a.name}' under resource group '${group ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function writeFacts(kind: 'write' | 'delete', resourceUri: string, a: Address): ArmResponse['write'] {
  return { kind, resourceUri, operationName: `${a.type}/${kind}`, resourceProvider: a.provider };
}
