import type { TokenCredential } from '@azure/core-auth';
import { errorMessage, type Policy } from '@reflex/core';
import { PUBLIC_CLOUD_ARM } from './clients.js';

/**
 * The object id of the identity the bot writes with, from the `oid` claim of the ARM token its credential returns
 * (the managed identity in Azure). The token came from the identity endpoint itself, so its payload is read without
 * checking the signature: nothing here is taken from a caller. Undefined when the token carries no `oid`.
 */
export async function ownObjectId(credential: TokenCredential, armEndpoint: string): Promise<string | undefined> {
  const scope =
    armEndpoint === PUBLIC_CLOUD_ARM ? `${PUBLIC_CLOUD_ARM}/.default` : `${new URL(armEndpoint).origin}/.default`;
  const token = await credential.getToken(scope);
  const payload = token?.token.split('.')[1];
  if (!payload) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const oid = claims['oid'];
  return typeof oid === 'string' && /^[0-9a-f-]{32,36}$/i.test(oid) ? oid.toLowerCase() : undefined;
}

/**
 * Learns the bot's own object id once per instance (the loop guard needs no configuration): the first call asks
 * the credential, later calls reuse the answer. A failure is logged and not remembered, so the next event asks
 * again; meanwhile the policy's listed identities still apply.
 */
export class OwnIdentity {
  private known?: string;
  private pending?: Promise<string | undefined>;

  constructor(
    private readonly credential: TokenCredential,
    private readonly armEndpoint: string,
    private readonly warn: (message: string) => void,
  ) {}

  async objectId(): Promise<string | undefined> {
    if (this.known) return this.known;
    this.pending ??= ownObjectId(this.credential, this.armEndpoint)
      .then((oid) => {
        this.known = oid;
        if (!oid)
          this.warn('the managed-identity token carries no oid: only the policy’s identities are the bot’s own');
        return oid;
      })
      .catch((err: unknown) => {
        this.warn(`could not learn the bot’s own identity (loop guard uses the policy’s list): ${errorMessage(err)}`);
        return undefined;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** The policy with the bot's own object id among `identities.azure`. */
  async policyWithOwn(policy: Policy): Promise<Policy> {
    const oid = await this.objectId();
    if (!oid || policy.identities.azure.some((id) => id.toLowerCase() === oid)) return policy;
    return { ...policy, identities: { ...policy.identities, azure: [...policy.identities.azure, oid] } };
  }
}
