import type {
  AuditRecord,
  CloudAdapter,
  Fix,
  Posture,
  ReadScope,
  ResourceRef,
  RestoreResult,
  Step,
  StepSettlement,
  StoragePosture,
} from '../src/index.js';
import { awsRefs, BLOCK_ALL, isPublicGrant, refKey } from '../src/index.js';

/** An in-memory cloud for engine tests: holds postures and applies fixes to them. */
export class FakeCloud implements CloudAdapter {
  readonly cloud = 'aws' as const;
  readonly resources = new Map<string, Posture>();
  readonly writes: { ref: string; fix: Fix['type'] }[] = [];
  reads = 0;
  /** Fix types that fail, with the error to throw. */
  readonly failures = new Map<Fix['type'], Error>();
  /** A fix type that "succeeds" without changing anything, to exercise verification. */
  noOp?: Fix['type'];

  put(p: Posture) {
    this.resources.set(refKey(p.ref), structuredClone(p));
  }
  get(ref: ResourceRef) {
    return this.resources.get(refKey(ref));
  }

  /** The rules each read was scoped to (undefined: unscoped). */
  readonly scopes: (readonly string[] | undefined)[] = [];

  async read(ref: ResourceRef, scope?: ReadScope) {
    this.reads++;
    this.scopes.push(scope?.rules);
    const p = this.get(ref);
    return p ? structuredClone(p) : null;
  }

  describe(fix: Fix) {
    return [{ api: `Fake:${fix.type}`, argv: ['fake', fix.type], permission: `fake:${fix.type}` }];
  }

  async apply(steps: Step[], posture: Posture): Promise<StepSettlement[]> {
    return steps.map((step) => {
      const failure = this.failures.get(step.fix.type);
      if (failure) return { ok: false, error: failure };
      const p = this.get(posture.ref)!;
      const before = facet(p, step.fix);
      this.writes.push({ ref: posture.ref.id, fix: step.fix.type });
      if (this.noOp !== step.fix.type) mutate(p, step.fix);
      return { ok: true, result: { before, after: facet(p, step.fix), requestIds: [`req-${this.writes.length}`] } };
    });
  }

  async restore(record: AuditRecord, opts: { check: boolean }): Promise<RestoreResult> {
    const current = this.get(record.resource)!;
    if (JSON.stringify(facet(current, record.fix)) !== JSON.stringify(record.after))
      return { status: 'refused', differences: [`${record.resource.id} changed since ${record.stepId}`] };
    if (opts.check) return { status: 'restorable', requestIds: [] };
    setFacet(current, record.fix, record.before);
    return { status: 'restored', requestIds: ['req-undo'] };
  }

  isTransient(err: unknown) {
    return (err as { name?: string }).name === 'SlowDown';
  }
}

/** Where in a posture a fix writes: the audit records that slice as before and after. */
function slicePath(fix: Fix): string[] {
  const paths: Partial<Record<Fix['type'], string[]>> = {
    'block-public-access': ['publicAccess', 'bucketBlock'],
    'remove-public-grants': ['publicAccess', 'acl'],
    'remove-public-statements': ['publicAccess', 'policy'],
    'enable-encryption': ['encryption'],
    'enable-logging': ['logging'],
    'revoke-ingress': ['rules'],
  };
  return paths[fix.type] ?? ['tags'];
}

function facet(p: Posture, fix: Fix): unknown {
  return structuredClone(slicePath(fix).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], p));
}

function setFacet(p: Posture, fix: Fix, value: unknown) {
  const path = slicePath(fix);
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], p) as Record<
    string,
    unknown
  >;
  parent[path[path.length - 1]!] = structuredClone(value);
}

function mutate(p: Posture, fix: Fix) {
  if (p.kind === 'storage') {
    const pa = p.publicAccess;
    if (fix.type === 'block-public-access') pa.bucketBlock = { ...fix.block };
    if (fix.type === 'remove-public-grants' && pa.acl) pa.acl.grants = pa.acl.grants.filter((g) => !isPublicGrant(g));
    if (fix.type === 'remove-public-statements') pa.policy = fix.remaining.length ? { Statement: fix.remaining } : null;
    if (fix.type === 'enable-encryption') p.encryption = { enabled: true, algorithm: fix.algorithm };
    if (fix.type === 'enable-logging') p.logging = { enabled: true, target: fix.target };
  }
  if (fix.type === 'isolate') p.tags = { ...p.tags, 'reflex:contained': 'true' };
  if (p.kind === 'firewall' && fix.type === 'revoke-ingress') {
    for (const c of fix.changes) {
      const i = p.rules.findIndex((r) => r.id === c.before.id);
      p.rules.splice(i, 1, ...c.after);
    }
  }
}

export const ACCOUNT = '123456789012';

export function publicBucket(name = 'public-bucket', tags: Record<string, string> = {}): StoragePosture {
  return {
    kind: 'storage',
    ref: awsRefs.bucket(name, ACCOUNT, 'us-east-1'),
    publicAccess: {
      bucketBlock: null,
      acl: {
        owner: { id: 'owner-id' },
        grants: [
          { granteeType: 'CanonicalUser', grantee: 'owner-id', permission: 'FULL_CONTROL' },
          { granteeType: 'Group', grantee: 'http://acs.amazonaws.com/groups/global/AllUsers', permission: 'READ' },
        ],
      },
      policy: null,
    },
    encryption: { enabled: true, algorithm: 'AES256' },
    logging: { enabled: true, target: 'logs' },
    transport: { httpsOnly: true },
    tags,
  };
}

export function privateBucket(name = 'private-bucket'): StoragePosture {
  const p = publicBucket(name);
  p.publicAccess.bucketBlock = { ...BLOCK_ALL };
  p.publicAccess.acl!.grants = p.publicAccess.acl!.grants.slice(0, 1);
  return p;
}
