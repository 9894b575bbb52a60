import type { Policy, TicketsConfig } from '../policy/schema.js';
import { FanOutTicketSink, type NamedSink, UnavailableTicketSink } from './sinks/fanout.js';
import type { HttpOptions } from './sinks/http.js';
import { JiraTicketSink } from './sinks/jira.js';
import type { RetryOptions } from './sinks/retry.js';
import { ServiceNowTicketSink } from './sinks/servicenow.js';
import { SlackWebhookTicketSink } from './sinks/slack.js';
import { WebhookTicketSink } from './sinks/webhook.js';
import { JsonLinesTicketSink, type TicketSink } from './sinks.js';

export interface TicketSinkOptions {
  /** Overrides the policy's retry settings (tests: tiny delays, or an instant `sleep`). */
  retry?: Partial<RetryOptions>;
  fetch?: typeof fetch;
  /** Where the default JSON-lines sink writes; stdout when absent. */
  stdout?: (line: string) => void;
}

/** A sink built on its first use (its client library loads then); a failed build is tried again next time. */
function lazySink(build: () => Promise<TicketSink>): TicketSink {
  let built: Promise<TicketSink> | undefined;
  const sink = () =>
    (built ??= build().catch((err: unknown) => {
      built = undefined;
      throw err;
    }));
  return {
    file: async (ticket) => (await sink()).file(ticket),
    resolve: async (dedupeKey, note) => {
      const s = await sink();
      return s.resolve ? s.resolve(dedupeKey, note) : null;
    },
  };
}

/** Names the sink and the variable, never the value. */
const missing = (name: string) => `environment variable ${name} is not set`;

/**
 * Builds the ticket sink from the policy's `tickets` section: one fan-out over every enabled sink, each taking its
 * secrets from the environment variables the policy names. A sink whose secret is missing is still listed, but
 * fails each call with that reason (a bad ticket setup must never stop a remediation); `problems` lists them for
 * `reflex validate`. Nothing configured: JSON lines to stdout.
 */
export function createTicketSinks(
  policy: Pick<Policy, 'tickets'>,
  env: Record<string, string | undefined> = process.env,
  options: TicketSinkOptions = {},
): FanOutTicketSink & { problems: string[] } {
  const cfg: Partial<TicketsConfig> = policy.tickets ?? {};
  const problems: string[] = [];
  const sinks: NamedSink[] = [];
  const http: HttpOptions = {
    retry: { ...cfg.retry, ...options.retry },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const indexTtlMs = (cfg.indexTtlSeconds ?? 30) * 1000;
  const secret = (name: string) => {
    const v = env[name];
    return v && v.trim() !== '' ? v.trim() : undefined;
  };
  const add = (name: string, build: () => TicketSink | string[]) => {
    const built = build();
    if (Array.isArray(built)) {
      const problem = built.join('; ');
      problems.push(`tickets.${name}: ${problem}`);
      sinks.push({ name, sink: new UnavailableTicketSink(name, problem) });
    } else sinks.push({ name, sink: built });
  };

  const { jsonl, jira, servicenow, github, slack, webhook } = cfg;
  if (jsonl && jsonl.enabled !== false) {
    const path = jsonl.path && jsonl.path !== '-' ? jsonl.path : undefined;
    add('jsonl', () => new JsonLinesTicketSink(path ?? options.stdout));
  }
  if (jira && jira.enabled !== false) {
    add('jira', () => {
      const email = jira.email ?? secret(jira.emailEnv);
      const apiToken = secret(jira.tokenEnv);
      if (!email || !apiToken) {
        return [...(email ? [] : [missing(jira.emailEnv)]), ...(apiToken ? [] : [missing(jira.tokenEnv)])];
      }
      return new JiraTicketSink(
        {
          baseUrl: jira.baseUrl,
          projectKey: jira.projectKey,
          issueType: jira.issueType,
          email,
          apiToken,
          ...(jira.priorities ? { priorities: jira.priorities } : {}),
          ...(jira.labels ? { labels: jira.labels } : {}),
          ...(jira.doneTransition ? { doneTransition: jira.doneTransition } : {}),
          credentialsHint: `check ${jira.email ? 'the email in the policy' : jira.emailEnv} and ${jira.tokenEnv}`,
          indexTtlMs,
        },
        http,
      );
    });
  }
  if (servicenow && servicenow.enabled !== false) {
    add('servicenow', () => {
      const s = servicenow;
      let auth: ConstructorParameters<typeof ServiceNowTicketSink>[0]['auth'];
      let hint: string;
      if (s.auth === 'bearer') {
        const token = secret(s.tokenEnv);
        if (!token) return [missing(s.tokenEnv)];
        auth = { kind: 'bearer', token };
        hint = `check the token in ${s.tokenEnv}`;
      } else {
        const user = s.user ?? secret(s.userEnv);
        const password = secret(s.passwordEnv);
        if (!user || !password) {
          return [...(user ? [] : [missing(s.userEnv)]), ...(password ? [] : [missing(s.passwordEnv)])];
        }
        auth = { kind: 'basic', user, password };
        hint = `check ${s.user ? 'the user in the policy' : s.userEnv} and ${s.passwordEnv}`;
      }
      return new ServiceNowTicketSink(
        {
          instanceUrl: s.instanceUrl,
          auth,
          table: s.table,
          closeCode: s.closeCode,
          ...(s.assignmentGroup ? { assignmentGroup: s.assignmentGroup } : {}),
          ...(s.callerId ? { callerId: s.callerId } : {}),
          ...(s.category ? { category: s.category } : {}),
          ...(s.fields ? { fields: s.fields } : {}),
          credentialsHint: hint,
          indexTtlMs,
        },
        http,
      );
    });
  }
  if (github && github.enabled !== false) {
    add('github', () => {
      const token = secret(github.tokenEnv);
      if (!token) return [missing(github.tokenEnv)];
      // Octokit loads on the first ticket that goes to GitHub, not with the bot (cold starts).
      return lazySink(async () => {
        const { GitHubTicketSink } = await import('./sinks/github.js');
        return new GitHubTicketSink(
          {
            repo: github.repo,
            token,
            ...(github.baseUrl ? { baseUrl: github.baseUrl } : {}),
            ...(github.labels ? { labels: github.labels } : {}),
            credentialsHint: `check the token in ${github.tokenEnv} (it needs issues: write on ${github.repo})`,
            indexTtlMs,
          },
          http,
        );
      });
    });
  }
  if (slack && slack.enabled !== false) {
    add('slack', () => {
      const webhookUrl = secret(slack.webhookUrlEnv);
      if (!webhookUrl) return [missing(slack.webhookUrlEnv)];
      return new SlackWebhookTicketSink(
        {
          webhookUrl,
          resolve: slack.resolve,
          quietMinutes: slack.quietMinutes,
          credentialsHint: `check the webhook URL in ${slack.webhookUrlEnv}`,
        },
        http,
      );
    });
  }
  if (webhook && webhook.enabled !== false) {
    add('webhook', () => {
      const url = webhook.url ?? secret(webhook.urlEnv);
      const key = secret(webhook.secretEnv);
      if (!url || !key)
        return [...(url ? [] : [missing(webhook.urlEnv)]), ...(key ? [] : [missing(webhook.secretEnv)])];
      return new WebhookTicketSink(
        { url, secret: key, resolve: webhook.resolve, credentialsHint: `check the secret in ${webhook.secretEnv}` },
        http,
      );
    });
  }

  if (sinks.length === 0) sinks.push({ name: 'jsonl', sink: new JsonLinesTicketSink(options.stdout) });
  return Object.assign(new FanOutTicketSink(sinks), { problems });
}
