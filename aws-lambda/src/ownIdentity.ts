/**
 * The bot's own role, learnt at cold start with sts:GetCallerIdentity, so that the loop guard ignores the bot's own
 * writes whether or not the policy lists its role. Lambda runs with an assumed-role session
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>`); CloudTrail names the same session as the caller and the
 * role as its session issuer, which the core compares by account and role name.
 */
import { errorMessage, type Policy } from '@reflex/core';
import { type AwsClientOptions, defaultRegion } from './clients.js';

/** Answers the caller's ARN (GetCallerIdentity). */
export type CallerIdentity = () => Promise<string | undefined>;

/** `arn:<p>:sts::<acct>:assumed-role/<role>/<session>` → `arn:<p>:iam::<acct>:role/<role>`; any other ARN as it is. */
export function roleArnOf(callerArn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : callerArn;
}

/** GetCallerIdentity with an STS client created on first use (`import()`: only the first invocation loads it). */
export function stsCallerIdentity(options: AwsClientOptions = {}): CallerIdentity {
  return async () => {
    const sts = await import('./sdk/callerIdentity.js');
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
    const client = new sts.STSClient({
      region: defaultRegion(),
      maxAttempts: 3,
      ...(endpoint ? { endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    return (await client.send(new sts.GetCallerIdentityCommand({}))).Arn;
  };
}

/**
 * The role once known. The first event that names a caller asks; a failure is logged and not remembered (the next
 * event asks again), and meanwhile the policy's own list still applies.
 */
export class OwnIdentity {
  private known?: string;
  private pending?: Promise<string | undefined>;

  constructor(
    private readonly lookup: CallerIdentity | undefined,
    private readonly warn: (problem: string) => void,
  ) {}

  async roleArn(): Promise<string | undefined> {
    if (this.known || !this.lookup) return this.known;
    this.pending ??= this.lookup()
      .then((arn) => {
        this.known = arn ? roleArnOf(arn) : undefined;
        return this.known;
      })
      .catch((err: unknown) => {
        this.warn(`could not learn the bot's own role (the loop guard uses the policy's list): ${errorMessage(err)}`);
        return undefined;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** The policy with the bot's own role among `identities.aws`. */
  async policyWithOwn(policy: Policy): Promise<Policy> {
    const arn = await this.roleArn();
    if (!arn || policy.identities.aws.includes(arn)) return policy;
    return { ...policy, identities: { ...policy.identities, aws: [...policy.identities.aws, arn] } };
  }
}
