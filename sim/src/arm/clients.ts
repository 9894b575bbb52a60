import { Agent } from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { DEFAULT_TENANT, type Principal } from './events.js';

/**
 * A credential that hands out a fixed, unsigned JWT. The emulator reads `oid`/`appid` from it, the
 * way ARM reads the caller from a real token, so "who wrote this" flows into emitted events.
 */
export function staticArmCredential(
  principal: Pick<Principal, 'oid' | 'appid'> & Partial<Principal> = {
    oid: '00000000-0000-0000-0000-0000000000b0',
    appid: '00000000-0000-0000-0000-0000000000a0',
  },
): TokenCredential {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return {
    async getToken(): Promise<AccessToken> {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const claims = {
        aud: 'https://management.azure.com/',
        oid: principal.oid,
        appid: principal.appid,
        tid: principal.tenantId ?? DEFAULT_TENANT,
        idtyp: principal.principalType === 'User' ? 'user' : 'app',
        ...(principal.name ? { upn: principal.name } : {}),
        exp,
      };
      return { token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, expiresOnTimestamp: exp * 1000 };
    },
  };
}

/** Same shape as `AdditionalPolicyConfig` in @azure-rest/core-client (the modular clients' options). */
export interface AdditionalPolicyConfig {
  policy: PipelinePolicy;
  position: 'perCall' | 'perRetry';
}

/**
 * The pipeline policy that makes an @azure/* client trust exactly the emulator's certificate.
 * core-rest-pipeline's Node HTTP client uses `request.agent` when one is set; an https.Agent whose
 * `ca` is the emulator's PEM keeps full verification (chain and hostname) — nothing is disabled.
 */
export function trustCertificatePolicy(ca: string): AdditionalPolicyConfig {
  const agent = new Agent({ ca, keepAlive: true });
  return {
    position: 'perCall',
    policy: {
      name: 'reflexTrustEmulatorCertificate',
      sendRequest(request, next) {
        request.agent = agent;
        return next(request);
      },
    },
  };
}

export interface ArmClientOptions {
  endpoint: string;
  credential: TokenCredential;
  additionalPolicies: AdditionalPolicyConfig[];
}

/**
 * Options for StorageManagementClient, NetworkManagementClient and MonitorClient against the emulator:
 * `new StorageManagementClient(o.credential, sub, { endpoint: o.endpoint, additionalPolicies: o.additionalPolicies })`.
 */
export function armClientOptions(
  emulator: { endpoint: string; ca: string },
  principal?: Pick<Principal, 'oid' | 'appid'> & Partial<Principal>,
): ArmClientOptions {
  return {
    endpoint: emulator.endpoint,
    credential: staticArmCredential(principal),
    additionalPolicies: [trustCertificatePolicy(emulator.ca)],
  };
}
