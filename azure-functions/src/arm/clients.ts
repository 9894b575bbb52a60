import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { armErrorStatusPolicy } from './errors.js';
import {
  type ArmClientOptions,
  type ArmMonitor,
  type ArmNetwork,
  type ArmStorage,
  monitorClient,
  networkClient,
  storageClient,
} from './sdk.js';

export const PUBLIC_CLOUD_ARM = 'https://management.azure.com';

/**
 * Attempts after the first for one ARM call, by the SDK's own retry policy (exponential backoff, and for 429 / 503
 * the wait ARM asks for in Retry-After). The pipeline's default of 3 runs dry under sustained throttling (a sweep
 * of a large subscription): at a 30 % throttling rate, one call in ~120 fails after 3 retries, one in ~500,000
 * after 10. What still fails is retried by the engine in a later round at lower concurrency.
 */
export const ARM_MAX_RETRIES = 10;

/** Where ARM is and who we are. In tests: the emulator's endpoint, a static token, and a policy trusting its CA. */
export interface ArmConnection {
  endpoint: string;
  credential: TokenCredential;
  /** Extra pipeline policies (the emulator's certificate trust); same shape as the clients' option. */
  additionalPolicies?: ArmClientOptions['additionalPolicies'];
  /** Retries per call (default ARM_MAX_RETRIES); the SDK's retry policy, with its backoff. */
  maxRetries?: number;
  /** Delay between polls of a long-running operation; default: the SDK's (ARM's Retry-After when it sends one). */
  pollIntervalMs?: number;
}

/**
 * The Function App's managed identity (system-assigned, or the user-assigned one `AZURE_CLIENT_ID` names), loaded on
 * the first token request: @azure/identity (with MSAL) is a large part of the bundle, and a cold start answered from
 * cache, or a test with a static token, never needs it. Only the managed identity: a deployed bot has no secret to
 * hold, and the rest of DefaultAzureCredential's chain (environment secrets, CLI, workload identity) would add ~25 KB
 * to the bundle for sources a Function App does not use. The CLI keeps the whole chain.
 */
export class LazyManagedIdentityCredential implements TokenCredential {
  private inner?: Promise<TokenCredential>;

  constructor(private readonly managedIdentityClientId?: string) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= import('@azure/identity').then(
      ({ ManagedIdentityCredential }) =>
        new ManagedIdentityCredential(this.managedIdentityClientId ? { clientId: this.managedIdentityClientId } : {}),
    );
    return (await this.inner).getToken(scopes, options);
  }
}

/** Azure: the managed identity; ARM from REFLEX_ARM_ENDPOINT for sovereign clouds. */
export function armConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): ArmConnection {
  return {
    endpoint: (env['REFLEX_ARM_ENDPOINT'] || PUBLIC_CLOUD_ARM).replace(/\/+$/, ''),
    credential: new LazyManagedIdentityCredential(env['AZURE_CLIENT_ID'] || undefined),
  };
}

export interface ArmClients {
  subscriptionId: string;
  storage: ArmStorage;
  network: ArmNetwork;
  monitor: ArmMonitor;
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
      const options: ArmClientOptions = {
        endpoint,
        credentials: { scopes: [scope] },
        // Ours first: outermost, it sees each call's last answer, after the SDK's retries.
        additionalPolicies: [{ policy: armErrorStatusPolicy, position: 'perCall' }, ...(additionalPolicies ?? [])],
        retryOptions: { maxRetries: this.connection.maxRetries ?? ARM_MAX_RETRIES },
        userAgentOptions: { userAgentPrefix: 'reflex-azure' },
      };
      clients = {
        subscriptionId: key,
        storage: storageClient(credential, key, options),
        network: networkClient(credential, key, options),
        monitor: monitorClient(credential, key, options),
        lro: this.connection.pollIntervalMs !== undefined ? { updateIntervalInMs: this.connection.pollIntervalMs } : {},
      };
      this.bySubscription.set(key, clients);
    }
    return clients;
  }
}
