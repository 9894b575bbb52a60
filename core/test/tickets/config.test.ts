import { afterEach, describe, expect, it } from 'vitest';
import {
  awsRefs,
  createTicketSinks,
  InMemoryBlastRadiusStore,
  MemoryAuditStore,
  PolicyError,
  parsePolicy,
  remediate,
} from '../../src/index.js';
import { ACCOUNT, FakeCloud, publicBucket } from '../fakeCloud.js';
import { type FakeServer, fakeGitHub, fakeJira, fakeServiceNow, fastRetry, sampleTicket } from './fakeVendors.js';

let servers: FakeServer[] = [];
const started = async <T extends { server: FakeServer }>(fake: T): Promise<T> => {
  await fake.server.start();
  servers.push(fake.server);
  return fake;
};
afterEach(async () => {
  for (const s of servers) {
    expect(s.problems).toEqual([]);
    await s.close();
  }
  servers = [];
});

const policyWith = (tickets: string) => parsePolicy(`version: 1\ntickets:\n${tickets}`);

describe('createTicketSinks', () => {
  it('with nothing configured, writes JSON lines to stdout', async () => {
    const lines: string[] = [];
    const sink = createTicketSinks(parsePolicy('version: 1'), {}, { stdout: (l) => lines.push(l) });
    expect(sink.names).toEqual(['jsonl']);
    const ticket = sampleTicket();
    const res = await sink.file(ticket);
    expect(res.ref).toBe(`jsonl:${ticket.dedupeKey}`);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'reflex.ticket', dedupeKey: ticket.dedupeKey });
    // JSON lines cannot close a ticket: the fan-out offers no resolve, so the engine looks nothing up.
    expect(sink.resolve).toBeUndefined();
  });

  it('reads each secret from the environment variable the policy names', async () => {
    const jira = await started(fakeJira({ email: 'bot@acme.example', token: 'from-key-vault', project: 'SEC' }));
    const policy = policyWith(
      `  jira: { baseUrl: "${jira.server.url}", projectKey: SEC, email: bot@acme.example, tokenEnv: KV_JIRA_TOKEN }`,
    );
    const sink = createTicketSinks(
      policy,
      { KV_JIRA_TOKEN: 'from-key-vault', REFLEX_JIRA_TOKEN: 'not-this-one' },
      fastRetry(),
    );
    expect(sink.problems).toEqual([]);
    expect((await sink.file(sampleTicket())).ref).toBe('jira:SEC-1');
    expect(jira.issues).toHaveLength(1);
  });

  it('a missing secret disables only that sink, says which variable, and never leaks values', async () => {
    const gh = await started(fakeGitHub({ token: 'ghp_ok', repo: 'acme/findings' }));
    const policy = policyWith(
      `  jira: { baseUrl: "https://acme.atlassian.net", projectKey: SEC }\n  github: { repo: acme/findings, baseUrl: "${gh.server.url}" }`,
    );
    const sink = createTicketSinks(
      policy,
      { REFLEX_JIRA_EMAIL: 'bot@acme.example', REFLEX_GITHUB_TOKEN: 'ghp_ok' },
      fastRetry(),
    );
    expect(sink.names).toEqual(['jira', 'github']);
    expect(sink.problems).toEqual(['tickets.jira: environment variable REFLEX_JIRA_TOKEN is not set']);

    const res = await sink.file(sampleTicket());
    expect(res.ref).toBe('github:#1 jira:failed');
    expect(res.errors).toEqual({ jira: 'jira: environment variable REFLEX_JIRA_TOKEN is not set' });
    expect(JSON.stringify(res)).not.toContain('ghp_ok');
    expect(gh.issues).toHaveLength(1);
  });

  it('fan-out: one system down still files to the other, and the ref lists each', async () => {
    const jira = await started(fakeJira({ email: 'bot@acme.example', token: 't', project: 'SEC' }));
    const snow = await started(fakeServiceNow({ user: 'u', password: 'p' }));
    snow.server.failNext(503, 100);
    const policy = policyWith(
      [
        `  jira: { baseUrl: "${jira.server.url}", projectKey: SEC }`,
        `  servicenow: { instanceUrl: "${snow.server.url}", user: u }`,
      ].join('\n'),
    );
    const env = { REFLEX_JIRA_EMAIL: 'bot@acme.example', REFLEX_JIRA_TOKEN: 't', REFLEX_SERVICENOW_PASSWORD: 'p' };
    const sink = createTicketSinks(policy, env, fastRetry());

    const res = await sink.file(sampleTicket());
    expect(res.ref).toBe('jira:SEC-1 servicenow:failed');
    expect(res.refs).toEqual({ jira: 'SEC-1' });
    expect(res.errors.servicenow).toMatch(
      /^servicenow: GET \/api\/now\/table\/incident failed after 3 attempts: HTTP 503/,
    );
    expect(jira.issues).toHaveLength(1);
    expect(snow.incidents).toHaveLength(0);

    // Every system down: the fan-out rejects with each reason.
    jira.server.failNext(500, 100);
    await expect(sink.file(sampleTicket('another-bucket'))).rejects.toThrow(
      /jira: .*HTTP 500.*; servicenow: .*HTTP 503/,
    );
  });

  it('end to end through the engine: dry-run files to Jira and ServiceNow, the later fix resolves both', async () => {
    const jira = await started(fakeJira({ email: 'bot@acme.example', token: 't', project: 'SEC' }));
    const snow = await started(fakeServiceNow({ token: 'oauth' }));
    const tickets = [
      `  jira: { baseUrl: "${jira.server.url}", projectKey: SEC, email: bot@acme.example }`,
      `  servicenow: { instanceUrl: "${snow.server.url}", auth: bearer }`,
    ].join('\n');
    const env = { REFLEX_JIRA_TOKEN: 't', REFLEX_SERVICENOW_TOKEN: 'oauth' };
    const dryRun = policyWith(tickets);
    const enforce = parsePolicy(`version: 1\nmode: enforce\ntickets:\n${tickets}`);
    const cloud = new FakeCloud();
    cloud.put(publicBucket());
    const sink = createTicketSinks(dryRun, env, fastRetry());
    const ports = {
      adapter: cloud,
      tickets: sink,
      audit: new MemoryAuditStore(),
      blastRadius: new InMemoryBlastRadiusStore(),
    };
    const target = (eventId: string) => ({
      ref: awsRefs.bucket('public-bucket', ACCOUNT, 'us-east-1'),
      trigger: { source: 'cloudtrail' as const, eventId },
    });

    const first = await remediate(target('evt-1'), dryRun, ports);
    const ticketed = first.find((o) => o.rule === 'publicStorage')!;
    expect(ticketed).toMatchObject({ status: 'ticketed', ticket: { ref: 'jira:SEC-1 servicenow:INC0010001' } });
    await remediate(target('evt-2'), dryRun, ports);
    expect(jira.issues).toHaveLength(1);
    expect(jira.issues[0]!.comments).toHaveLength(1);
    expect(snow.incidents).toHaveLength(1);
    expect(snow.incidents[0]!.work_notes_journal).toHaveLength(1);

    const fixed = (await remediate(target('evt-3'), enforce, ports)).find((o) => o.rule === 'publicStorage')!;
    expect(fixed.status).toBe('fixed');
    expect(fixed.notes).toContain('ticket jira:SEC-1 servicenow:INC0010001 resolved');
    expect(jira.issues[0]!.status.category).toBe('done');
    expect(snow.incidents[0]).toMatchObject({ state: '6', active: 'false' });
  });
});

describe('policy: tickets section', () => {
  it('fills defaults, including the default environment variable names', () => {
    const p = policyWith('  jira: { baseUrl: "https://acme.atlassian.net", projectKey: SEC }\n  slack: {}');
    expect(p.tickets).toMatchObject({
      indexTtlSeconds: 30,
      jira: { enabled: true, issueType: 'Task', emailEnv: 'REFLEX_JIRA_EMAIL', tokenEnv: 'REFLEX_JIRA_TOKEN' },
      slack: { webhookUrlEnv: 'REFLEX_SLACK_WEBHOOK_URL', resolve: 'filed', quietMinutes: 60 },
    });
  });

  it('rejects secrets written into the policy, typos and bad names', () => {
    const bad = (yaml: string) => {
      try {
        policyWith(yaml);
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyError);
        return (err as PolicyError).problems;
      }
      throw new Error('expected a PolicyError');
    };
    expect(bad('  jira: { baseUrl: "https://a.atlassian.net", projectKey: SEC, token: abc }')).toEqual([
      'tickets.jira: unknown key token',
    ]);
    expect(bad('  github: { repo: acme, tokenEnv: "MY TOKEN" }')).toEqual([
      'tickets.github.repo: expected owner/name',
      'tickets.github.tokenEnv: expected an environment variable name',
    ]);
    expect(bad('  pagerduty: {}')).toEqual(['tickets: unknown key pagerduty']);
  });

  it('an enabled: false section is off', () => {
    const sink = createTicketSinks(policyWith('  github: { enabled: false, repo: acme/findings }'), {});
    expect(sink.names).toEqual(['jsonl']);
  });
});
