import type { Fix } from '../model/index.js';
import { describeChange } from '../rules/openIngress.js';

/** One line per fix, for tickets, logs and audit. */
export function summarizeFix(fix: Fix): string {
  switch (fix.type) {
    case 'block-public-access':
      return `turn on all four Block Public Access flags (${fix.scope})`;
    case 'remove-public-grants':
      return `remove public ACL grants: ${fix.grants.map((g) => `${g.permission} to ${g.grantee.split('/').pop()}`).join(', ')}`;
    case 'remove-public-statements':
      return `remove ${fix.statements.length} public policy statement(s), keep ${fix.remaining.length}`;
    case 'disallow-public-containers':
      return 'set allowBlobPublicAccess=false';
    case 'set-container-access':
      return `set container access to None: ${fix.containers.map((c) => c.name).join(', ')}`;
    case 'revoke-ingress':
      return fix.changes.map((c) => describeChange(c, 'revoke')).join('; ');
    case 'enable-encryption':
      return `enable default encryption ${fix.algorithm}${fix.keyId ? ` with key ${fix.keyId}` : ''}`;
    case 'enable-logging':
      return `enable access logging to ${fix.target}${fix.prefix ? ` (prefix ${fix.prefix})` : ''}`;
    case 'require-secure-transport':
      return `require HTTPS${fix.minimumTls ? ` and ${fix.minimumTls}` : ''}`;
    case 'start-trail-logging':
      return 'start CloudTrail logging';
    case 'enable-flow-logs':
      return `create a flow log (${fix.trafficType}) to ${fix.destination}`;
    case 'enable-ebs-default-encryption':
      return 'turn on EBS encryption by default';
    case 'isolate':
      return `isolate${fix.quarantineGroup ? ` with ${fix.quarantineGroup}` : ''}`;
  }
}
