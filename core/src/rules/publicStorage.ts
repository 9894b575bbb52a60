import type { AclGrant, ContainerAccess, Finding, Fix, PolicyStatement, StoragePosture } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import { BLOCK_ALL, type BlockPublicAccessFix, flagsOff, summarizeBlockPublicAccess } from './blockPublicAccess.js';
import { isPublicStatement } from './bucketPolicy.js';
import type { RuleDef } from './types.js';

export { BLOCK_ALL } from './blockPublicAccess.js';

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

export function isPublicGrant(g: AclGrant): boolean {
  return g.granteeType === 'Group' && (g.grantee === ALL_USERS || g.grantee === AUTHENTICATED_USERS);
}

const config = ruleConfig();
export type PublicStorageFix =
  | BlockPublicAccessFix
  | { type: 'remove-public-grants'; grants: AclGrant[] }
  | { type: 'remove-public-statements'; statements: PolicyStatement[]; remaining: PolicyStatement[] }
  | { type: 'disallow-public-containers' }
  | { type: 'set-container-access'; containers: { name: string; id: string; from: ContainerAccess }[] };

/** Storage readable or writable by anyone: public ACL grants, public policy statements, public containers, no block. */
export const publicStorage: RuleDef<'publicStorage', StoragePosture, typeof config, PublicStorageFix> = {
  name: 'publicStorage',
  appliesTo: 'storage',
  severity: 'critical',
  description:
    'Storage that anyone on the internet can read or write. AWS: turns on all four Block Public Access flags for ' +
    'the bucket, removes AllUsers/AuthenticatedUsers ACL grants (keeping the owner and every other grant) and ' +
    'removes only the public bucket-policy statements. Azure: sets allowBlobPublicAccess=false and every public ' +
    'container to access level None.',
  config,
  fixes: {
    'block-public-access': summarizeBlockPublicAccess,
    'remove-public-grants': (fix) =>
      `remove public ACL grants: ${fix.grants.map((g) => `${g.permission} to ${g.grantee.split('/').pop()}`).join(', ')}`,
    'remove-public-statements': (fix) =>
      `remove ${fix.statements.length} public policy statement(s), keep ${fix.remaining.length}`,
    'disallow-public-containers': () => 'set allowBlobPublicAccess=false',
    'set-container-access': (fix) => `set container access to None: ${fix.containers.map((c) => c.name).join(', ')}`,
  },
  // S3 rejects a public ACL or bucket policy while the block is on; Azure a public container while disallowed.
  gates: ['block-public-access', 'disallow-public-containers'],
  evaluate(p) {
    const fixes: Fix[] = [];
    const evidence: string[] = [];
    const pa = p.publicAccess;
    let exposed = false;

    if (p.ref.cloud === 'aws') {
      const block = pa.bucketBlock;
      const off = flagsOff(block);
      if (off.length > 0) {
        evidence.push(block ? `Block Public Access off: ${off.join(', ')}` : 'no bucket-level Block Public Access');
        fixes.push({ type: 'block-public-access', block: BLOCK_ALL, scope: 'bucket' });
      }
      // With ACLs disabled (BucketOwnerEnforced) grants have no effect and cannot be changed.
      const grants = pa.objectOwnership === 'BucketOwnerEnforced' ? [] : (pa.acl?.grants.filter(isPublicGrant) ?? []);
      if (grants.length > 0) {
        exposed = true;
        evidence.push(...grants.map((g) => `ACL grants ${g.permission} to ${g.grantee.split('/').pop()}`));
        fixes.push({ type: 'remove-public-grants', grants });
      }
      const statements = pa.policy?.Statement ?? [];
      const open = statements.filter(isPublicStatement);
      if (open.length > 0) {
        exposed = true;
        evidence.push(
          ...open.map((s, i) => `policy statement ${s.Sid ?? `#${i}`} allows ${JSON.stringify(s.Action)} to everyone`),
        );
        fixes.push({
          type: 'remove-public-statements',
          statements: open,
          remaining: statements.filter((s) => !isPublicStatement(s)),
        });
      }
    } else {
      if (pa.allowBlobPublicAccess !== false) {
        evidence.push('allowBlobPublicAccess is not false');
        fixes.push({ type: 'disallow-public-containers' });
      }
      const containers = (pa.containers ?? []).filter((c) => c.publicAccess !== 'None');
      if (containers.length > 0) {
        exposed = pa.allowBlobPublicAccess !== false;
        evidence.push(...containers.map((c) => `container ${c.name} allows anonymous ${c.publicAccess} access`));
        fixes.push({
          type: 'set-container-access',
          containers: containers.map((c) => ({ name: c.name, id: c.id, from: c.publicAccess })),
        });
      }
    }
    if (fixes.length === 0) return null;
    const finding: Finding = {
      rule: 'publicStorage',
      resource: p.ref,
      severity: exposed ? 'critical' : 'high',
      title: exposed ? `${p.ref.name} is publicly accessible` : `${p.ref.name} does not block public access`,
      evidence,
      fixes,
    };
    return finding;
  },
};
