/**
 * Acting in the member accounts of an organisation (the central-bus deployment): when `REFLEX_MEMBER_ROLE_NAME` is
 * set, a resource in another account than the function's own is read and fixed with clients whose credentials come
 * from assuming `arn:<partition>:iam::<account>:role/<name>` (the role `ReflexMemberAccount` deploys there).
 *
 * STS is loaded with `import()` only when a member account is first reached, so a single-account deployment never
 * evaluates it. The STS client is `@aws-sdk/nested-clients/sts` (the one the SDK's own credential providers use):
 * neither `@aws-sdk/credential-providers` nor `@aws-sdk/client-sts` is installed.
 */
import { errorMessage } from '@reflex/core';
import {
  type AwsClientOptions,
  type AwsClients,
  type ClientsForRegion,
  type CredentialsProvider,
  createAwsClients,
  defaultRegion,
  type TemporaryCredentials,
} from './clients.js';
import { errorCode } from './errors.js';
import { partitionOf } from './events/envelope.js';

/** The member-account settings from the function's environment; undefined when the bot stays in its own account. */
export interface MemberAccountSettings {
  /** `REFLEX_MEMBER_ROLE_NAME`: the role's name (the same in every member account). */
  roleName: string;
  /** `REFLEX_MEMBER_EXTERNAL_ID`: sent as ExternalId when the member role's trust requires one. */
  externalId?: string;
}

export function memberAccountSettings(env: Record<string, string | undefined>): MemberAccountSettings | undefined {
  const roleName = env.REFLEX_MEMBER_ROLE_NAME?.trim();
  if (!roleName) return undefined;
  const externalId = env.REFLEX_MEMBER_EXTERNAL_ID?.trim();
  return { roleName, ...(externalId ? { externalId } : {}) };
}

export function memberRoleArn(partition: string, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

/** RoleSessionName: 2–64 characters of `[\w+=,.@-]`. `reflex-<event id>` (or `reflex-sweep`), cut to fit. */
export function roleSessionName(id: string | undefined): string {
  const clean = (id ?? '').replace(/[^\w+=,.@-]/g, '-');
  return `reflex-${clean || 'sweep'}`.slice(0, 64);
}

/** Credentials are renewed this long before they expire (an invocation must not outlive them mid-fix). */
const REFRESH_BEFORE_MS = 5 * 60_000;
/** One hour: the longest duration role chaining allows, and the default maximum of a role. */
const DURATION_SECONDS = 3600;

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  externalId?: string;
}

/** Sends AssumeRole; the default loads the STS client lazily. Tests may count or fake it. */
export type AssumeRole = (request: AssumeRoleRequest) => Promise<TemporaryCredentials>;

/** AssumeRole with one STS client per container, created on first use from `import('@aws-sdk/nested-clients/sts')`. */
export function stsAssumeRole(options: AwsClientOptions = {}): AssumeRole {
  let client: Promise<{ send: (request: AssumeRoleRequest) => Promise<TemporaryCredentials> }> | undefined;
  const load = async () => {
    const sts = await import('./sdk/sts.js');
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
    const stsClient = new sts.STSClient({
      region: defaultRegion(),
      maxAttempts: options.maxAttempts ?? Number(process.env.AWS_MAX_ATTEMPTS ?? 8),
      ...(endpoint ? { endpoint } : {}),
      credentials: options.credentials ?? sts.defaultProvider(),
    });
    return {
      async send({ roleArn, sessionName, externalId }: AssumeRoleRequest): Promise<TemporaryCredentials> {
        const out = await stsClient.send(
          new sts.AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            DurationSeconds: DURATION_SECONDS,
            ...(externalId ? { ExternalId: externalId } : {}),
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey)
          throw new Error(`AssumeRole of ${roleArn} answered without credentials`);
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        };
      },
    };
  };
  return async (request) => {
    client ??= load().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return (await client).send(request);
  };
}

/**
 * A credentials provider for one role: assumes it on first use, hands out the same credentials until five minutes
 * before they expire, and shares one AssumeRole among concurrent callers. A failure is not remembered (the next
 * call tries again) and names the role.
 */
export function assumedRoleCredentials(
  request: () => AssumeRoleRequest,
  assume: AssumeRole,
  now: () => number = Date.now,
): CredentialsProvider {
  let current: TemporaryCredentials | undefined;
  let pending: Promise<TemporaryCredentials> | undefined;
  const fresh = (c: TemporaryCredentials) => !c.expiration || c.expiration.getTime() - REFRESH_BEFORE_MS > now();
  return () => {
    if (current && fresh(current)) return Promise.resolve(current);
    pending ??= (async () => {
      const r = request();
      try {
        current = await assume(r);
        return current;
      } catch (err) {
        throw assumeFailed(r.roleArn, err);
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

/** The error with the role named; code and HTTP metadata kept, so that throttling still reads as transient. */
function assumeFailed(roleArn: string, err: unknown): Error {
  const wrapped = new Error(`could not assume ${roleArn}: ${errorMessage(err)}`, { cause: err });
  wrapped.name = errorCode(err) || 'AssumeRoleFailed';
  const metadata = (err as { $metadata?: unknown } | undefined)?.$metadata;
  return metadata ? Object.assign(wrapped, { $metadata: metadata }) : wrapped;
}

export interface MemberClientsOptions {
  settings: MemberAccountSettings;
  /** The function's own account, once known; resources there use the base clients. */
  ownAccount: () => string | undefined;
  /** The session name for the next AssumeRole (the event being handled). */
  sessionName: () => string;
  /** Endpoint, retries and the credentials STS is called with (default: the function's own). */
  options?: AwsClientOptions;
  assume?: AssumeRole;
}

/**
 * Clients per (account, region): the base clients for the function's own account (and for refs that name no
 * account), member-role clients for every other account, created once per container. One credentials provider per
 * account serves all its regions and clients, so AssumeRole is sent once per account until the credentials near
 * their expiry.
 */
export function memberAccountClients(base: ClientsForRegion, opts: MemberClientsOptions): ClientsForRegion {
  const assume = opts.assume ?? stsAssumeRole(opts.options);
  const providers = new Map<string, CredentialsProvider>();
  const clients = new Map<string, AwsClients>();
  const { roleName, externalId } = opts.settings;
  return (region, account) => {
    const own = opts.ownAccount();
    if (!account || !own || account === own) return base(region, account);
    const key = region || defaultRegion();
    const partition = partitionOf(key);
    const byAccount = `${partition}:${account}`;
    let credentials = providers.get(byAccount);
    if (!credentials) {
      const roleArn = memberRoleArn(partition, account, roleName);
      credentials = assumedRoleCredentials(
        () => ({ roleArn, sessionName: opts.sessionName(), ...(externalId ? { externalId } : {}) }),
        assume,
      );
      providers.set(byAccount, credentials);
    }
    let c = clients.get(`${byAccount}/${key}`);
    if (!c) {
      c = createAwsClients(key, { ...opts.options, credentials });
      clients.set(`${byAccount}/${key}`, c);
    }
    return c;
  };
}
