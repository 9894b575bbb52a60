import { randomUUID } from 'node:crypto';

/** Who made a call. ARM takes this from the bearer token's claims; the emulator does too (see principalFromRequest). */
export interface Principal {
  /** Object id (`oid`) of the user, service principal or managed identity. */
  oid: string;
  /** Application id of the calling client. */
  appid: string;
  principalType?: 'User' | 'ServicePrincipal' | 'ManagedIdentity' | 'Group';
  /** Role named in `authorization.evidence`. */
  role?: string;
  tenantId?: string;
  /** Display name / UPN for users (claims `name`). */
  name?: string;
}

export const DEFAULT_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

export const DEFAULT_PRINCIPAL: Principal = {
  oid: '00000000-0000-0000-0000-00000000a11c',
  appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
  principalType: 'User',
  role: 'Owner',
  tenantId: DEFAULT_TENANT,
  name: 'alice@contoso.example',
};

export type ResourceEventType =
  | 'Microsoft.Resources.ResourceWriteSuccess'
  | 'Microsoft.Resources.ResourceDeleteSuccess'
  | 'Microsoft.Resources.ResourceActionSuccess';

/** `data` of a subscription-scoped resource event, as documented for Azure subscriptions as an Event Grid source. */
export interface ResourceEventData {
  authorization: {
    scope: string;
    action: string;
    evidence: {
      role: string;
      roleAssignmentScope: string;
      roleAssignmentId: string;
      roleDefinitionId: string;
      principalId: string;
      principalType: string;
    };
  };
  claims: Record<string, string>;
  correlationId: string;
  httpRequest: { clientRequestId: string; clientIpAddress: string; method: string; url: string };
  resourceProvider: string;
  resourceUri: string;
  operationName: string;
  status: 'Succeeded';
  subscriptionId: string;
  tenantId: string;
}

export interface EventGridEvent {
  subject: string;
  eventType: ResourceEventType;
  eventTime: string;
  id: string;
  data: ResourceEventData;
  dataVersion: string;
  metadataVersion: '1';
  topic: string;
}

export interface CloudEvent {
  specversion: '1.0';
  type: ResourceEventType;
  source: string;
  subject: string;
  id: string;
  time: string;
  datacontenttype: 'application/json';
  data: ResourceEventData;
}

/** One write, in both delivery schemas an Event Grid subscription can be configured for. Same id in both. */
export interface ArmEvent {
  eventGrid: EventGridEvent;
  cloudEvent: CloudEvent;
}

export interface WriteFacts {
  kind: 'write' | 'delete' | 'action';
  subscriptionId: string;
  /** Resource id (for an action: the resource the action ran on). */
  resourceUri: string;
  /** e.g. `Microsoft.Network/networkSecurityGroups/securityRules/write`. */
  operationName: string;
  resourceProvider: string;
  method: string;
  url: string;
  clientRequestId: string;
  correlationId: string;
  clientIpAddress: string;
  principal: Principal;
}

const EVENT_TYPE: Record<WriteFacts['kind'], ResourceEventType> = {
  write: 'Microsoft.Resources.ResourceWriteSuccess',
  delete: 'Microsoft.Resources.ResourceDeleteSuccess',
  action: 'Microsoft.Resources.ResourceActionSuccess',
};

// Well-known built-in role definition ids, so `evidence.roleDefinitionId` looks like Azure's.
const ROLE_DEFINITION: Record<string, string> = {
  Owner: '8e3af657a8ff443ca75c2fe8c4bcb635',
  Contributor: 'b24988ac618042a0ab8820f7382dd24c',
  'Storage Account Contributor': '17d1049b9a844c5298e8d9c16a5c1e01',
  'Network Contributor': '4d97b98b1d4f4787a291c67834d5c52e',
};

export function buildEvent(f: WriteFacts, now = new Date()): ArmEvent {
  const tenantId = f.principal.tenantId ?? DEFAULT_TENANT;
  const role = f.principal.role ?? 'Contributor';
  const iat = Math.floor(now.getTime() / 1000) - 60;
  const claims: Record<string, string> = {
    aud: 'https://management.core.windows.net/',
    iss: `https://sts.windows.net/${tenantId}/`,
    iat: String(iat),
    nbf: String(iat),
    exp: String(iat + 3600),
    appid: f.principal.appid,
    appidacr: f.principal.principalType === 'User' ? '0' : '2',
    'http://schemas.microsoft.com/identity/claims/identityprovider': `https://sts.windows.net/${tenantId}/`,
    'http://schemas.microsoft.com/identity/claims/objectidentifier': f.principal.oid,
    'http://schemas.microsoft.com/identity/claims/tenantid': tenantId,
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': f.principal.oid,
    ver: '1.0',
  };
  if (f.principal.name) claims['name'] = f.principal.name;
  const data: ResourceEventData = {
    authorization: {
      scope: f.resourceUri,
      action: f.operationName,
      evidence: {
        role,
        roleAssignmentScope: `/subscriptions/${f.subscriptionId}`,
        roleAssignmentId: randomUUID().replaceAll('-', ''),
        roleDefinitionId: ROLE_DEFINITION[role] ?? ROLE_DEFINITION['Contributor']!,
        principalId: f.principal.oid.replaceAll('-', ''),
        principalType: f.principal.principalType ?? 'ServicePrincipal',
      },
    },
    claims,
    correlationId: f.correlationId,
    httpRequest: {
      clientRequestId: f.clientRequestId,
      clientIpAddress: f.clientIpAddress,
      method: f.method,
      url: f.url,
    },
    resourceProvider: f.resourceProvider,
    resourceUri: f.resourceUri,
    operationName: f.operationName,
    status: 'Succeeded',
    subscriptionId: f.subscriptionId,
    tenantId,
  };
  const id = randomUUID();
  const time = now.toISOString();
  const topic = `/subscriptions/${f.subscriptionId}`;
  const type = EVENT_TYPE[f.kind];
  return {
    eventGrid: {
      subject: f.resourceUri,
      eventType: type,
      eventTime: time,
      id,
      data,
      dataVersion: '2',
      metadataVersion: '1',
      topic,
    },
    cloudEvent: {
      specversion: '1.0',
      type,
      source: topic,
      subject: f.resourceUri,
      id,
      time,
      datacontenttype: 'application/json',
      data,
    },
  };
}

/**
 * The caller of a request, in ARM's order of truth: the bearer token's claims (an unsigned JWT from
 * `staticArmCredential` carries `oid`/`appid`), then the test header `x-reflex-principal`
 * (JSON `{"oid","appid",...}`), then the emulator's default principal.
 */
export function principalFromRequest(headers: Record<string, string>, fallback: Principal): Principal {
  const header = headers['x-reflex-principal'];
  if (header) {
    try {
      return { ...fallback, ...(JSON.parse(header) as Partial<Principal>) };
    } catch {
      // A bare object id is accepted too.
      return { ...fallback, oid: header };
    }
  }
  const auth = headers['authorization'];
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  const payload = token?.split('.')[1];
  if (payload) {
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof claims['oid'] === 'string') {
        return {
          ...fallback,
          oid: claims['oid'],
          appid: typeof claims['appid'] === 'string' ? claims['appid'] : fallback.appid,
          principalType: claims['idtyp'] === 'app' ? 'ServicePrincipal' : fallback.principalType,
          tenantId: typeof claims['tid'] === 'string' ? claims['tid'] : fallback.tenantId,
          name: typeof claims['upn'] === 'string' ? claims['upn'] : undefined,
        };
      }
    } catch {
      // Not a JWT we minted: fall through to the default principal.
    }
  }
  return fallback;
}
