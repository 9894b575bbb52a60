import { MonitorClient, type MonitorClientOptionalParams } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export const PUBLIC_CLOUD_ARM = 'https://management.azure.com';

/** Where ARM is and who we are. In tests: the emulator's endpoint, a static token, and a policy trusting its CA. */
export interface ArmConnection {
  endpoint: string;
  credential: TokenCredential;
  /** Extra pipeline policies (the emulator's certificate trust); same shape as the clients' option. */
  additionalPolicies?: MonitorClientOptionalParams['additionalPolicies'];
  /** Delay between polls of a long-running operation; default: the SDK's (ARM's Retry-After when it sends one). */
  pollIntervalMs?: number;
}

/**
 * DefaultAzureCredential, loaded on the first token request: @azure/identity (with MSAL) is a large part of the
 * bundle, and a cold start that is answered from cache, or a test with a static token, never needs it.
 */
export class LazyDefaultCredential implements TokenCredential {
  private inner?: Promise<TokenCredential>;

  constructor(private readonly managedIdentityClientId?: string) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= import('@azure/identity').then(
      ({ DefaultAzureCredential }) =>
        new DefaultAzureCredential(
          this.managedIdentityClientId ? { managedIdentityClientId: this.managedIdentityClientId } : undefined,
        ),
    );
    return (await this.inner).getToken(scopes, options);
  }
}

/** Azure: the managed identity (or any DefaultAzureCredential source); ARM from REFLEX_ARM_ENDPOINT for sovereign clouds. */
export function armConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): ArmConnection {
  return {
    endpoint: (env['REFLEX_ARM_ENDPOINT'] || PUBLIC_CLOUD_ARM).replace(/\/+$/, ''),
    credential: new LazyDefaultCredential(env['AZURE_CLIENT_ID'] || undefined),
  };
}

export interface ArmClients {
  subscriptionId: string;
  storage: StorageManagementClient;
  network: NetworkManagementClient;
  monitor: MonitorClient;
  /** Options for every long-running call. */
  lro: { updateIntervalInMs?: number };
}

/**
 * One set of clients per subscription, created on first use and kept for the life of the instance, so
 * connections and tokens are reused across invocations. Retries are the SDK's own (exponential, honouring
 * 429 Retry-After), not ours.
 */
export class ArmClientCache {
  private readonly bySubscription = new Map<string, ArmClients>();

  constructor(readonly connection: ArmConnection) {}

  for(subscriptionId: string): ArmClients {
    const key = subscriptionId.toLowerCase();
    let clients = this.bySubscription.get(key);
    if (!clients) {
      const { endpoint, credential, additionalPolicies } = this.connection;
      // The token audience follows the endpoint (sovereign clouds have their own).
      const scope =
        endpoint === PUBLIC_CLOUD_ARM ? `${PUBLIC_CLOUD_ARM}/.default` : `${new URL(endpoint).origin}/.default`;
      const options = {
        endpoint,
        credentials: { scopes: [scope] },
        ...(additionalPolicies ? { additionalPolicies } : {}),
        userAgentOptions: { userAgentPrefix: 'reflex-azure' },
      };
      clients = {
        subscriptionId: key,
        storage: new StorageManagementClient(credential, key, options),
        network: new NetworkManagementClient(credential, key, options),
        monitor: new MonitorClient(credential, key, options),
        lro: this.connection.pollIntervalMs !== undefined ? { updateIntervalInMs: this.connection.pollIntervalMs } : {},
      };
      this.bySubscription.set(key, clients);
    }
    return clients;
  }
}
