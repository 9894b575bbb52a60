import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorMessage } from '@reflex/core';
import { type AwsClientOptions, defaultRegion } from './clients.js';

/**
 * Environment values of the form `secretsmanager:<secret-id-or-arn>[#jsonKey]` are references: at cold start they are
 * replaced by the secret's value (its SecretString, or one key of it when it holds JSON). This is how ticket-system
 * tokens reach the sinks without sitting in the function's configuration. Each secret is fetched once.
 */
export const SECRET_REFERENCE = 'secretsmanager:';

export interface SecretReference {
  secretId: string;
  jsonKey?: string;
}

export function parseSecretReference(value: string | undefined): SecretReference | undefined {
  if (!value?.startsWith(SECRET_REFERENCE)) return undefined;
  const rest = value.slice(SECRET_REFERENCE.length).trim();
  // `#` cannot occur in a secret name or ARN, so the first one starts the JSON key.
  const hash = rest.indexOf('#');
  const secretId = hash >= 0 ? rest.slice(0, hash) : rest;
  const jsonKey = hash >= 0 ? rest.slice(hash + 1) : undefined;
  if (!secretId) return undefined;
  return { secretId, ...(jsonKey ? { jsonKey } : {}) };
}

export interface ResolvedEnv {
  /** A copy of the environment with every reference replaced (or removed, when it could not be resolved). */
  env: Record<string, string | undefined>;
  /** One line per reference that failed: the variable and the reason, never a value. */
  problems: string[];
  /** The variables that were references and now hold their secret. */
  resolved: string[];
}

export interface SecretOptions extends AwsClientOptions {
  /** A client to use for every secret (tests); else one per region, created on first use. */
  client?: SecretsManagerClient;
}

/** Resolves every `secretsmanager:` reference of `env`; the process environment itself is left alone. */
export async function resolveSecretReferences(
  env: Record<string, string | undefined>,
  options: SecretOptions = {},
): Promise<ResolvedEnv> {
  const refs = Object.entries(env).flatMap(([name, value]) => {
    const ref = parseSecretReference(value);
    return ref ? [{ name, ref }] : [];
  });
  const out: ResolvedEnv = { env: { ...env }, problems: [], resolved: [] };
  if (refs.length === 0) return out;

  const sdk = await import('./sdk/secretsManager.js');
  const clients = new Map<string, SecretsManagerClient>();
  const clientFor = (region: string) => {
    if (options.client) return options.client;
    let c = clients.get(region);
    if (!c) {
      const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL;
      c = new sdk.SecretsManagerClient({
        region,
        maxAttempts: options.maxAttempts ?? 5,
        ...(endpoint ? { endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
      });
      clients.set(region, c);
    }
    return c;
  };
  // A secret ARN names its region; a bare name is looked up in the function's.
  const regionOf = (id: string) => (id.startsWith('arn:') ? id.split(':')[3] || defaultRegion() : defaultRegion());
  const values = new Map<string, Promise<string>>();
  const fetchSecret = (secretId: string) => {
    let p = values.get(secretId);
    if (!p) {
      p = clientFor(regionOf(secretId))
        .send(new sdk.GetSecretValueCommand({ SecretId: secretId }))
        .then((r) => {
          if (r.SecretString === undefined)
            throw new Error('the secret has no string value (binary secrets are not supported)');
          return r.SecretString;
        });
      values.set(secretId, p);
    }
    return p;
  };

  await Promise.all(
    refs.map(async ({ name, ref }) => {
      try {
        const text = await fetchSecret(ref.secretId);
        let value = text;
        if (ref.jsonKey) {
          const doc = JSON.parse(text) as Record<string, unknown>;
          const v = doc[ref.jsonKey];
          if (v === undefined || v === null) throw new Error(`the secret has no key "${ref.jsonKey}"`);
          value = typeof v === 'string' ? v : JSON.stringify(v);
        }
        out.env[name] = value;
        out.resolved.push(name);
      } catch (err) {
        delete out.env[name];
        const why = err instanceof SyntaxError ? 'the secret is not JSON' : errorMessage(err);
        out.problems.push(`${name}: could not resolve ${SECRET_REFERENCE}${ref.secretId}: ${why}`);
      }
    }),
  );
  out.resolved.sort();
  return out;
}
