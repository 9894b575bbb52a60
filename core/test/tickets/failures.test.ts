import { afterEach, describe, expect, it } from 'vitest';
import {
  GitHubTicketSink,
  JiraTicketSink,
  type RetryOptions,
  ServiceNowTicketSink,
  SlackWebhookTicketSink,
  type TicketSink,
  TicketSinkError,
  WebhookTicketSink,
} from '../../src/index.js';
import {
  type FakeServer,
  fakeGitHub,
  fakeJira,
  fakeServiceNow,
  fakeSlack,
  fakeWebhookReceiver,
  fastRetry,
  sampleTicket,
} from './fakeVendors.js';

/** Each sink, its fake, a way to count what the fake stored, and a sink with a bad credential. */
interface Vendor {
  name: string;
  start(): Promise<{ server: FakeServer; stored: () => number }>;
  make(url: string, retry: Partial<RetryOptions>, badCredential?: boolean): TicketSink;
  /** What the vendor answers to a bad credential. */
  authStatus: number;
}

const hint = 'check the secret in REFLEX_TEST_SECRET';
const vendors: Vendor[] = [
  {
    name: 'jira',
    async start() {
      const f = fakeJira({ email: 'bot@acme.example', token: 'tok', project: 'SEC' });
      await f.server.start();
      return { server: f.server, stored: () => f.issues.length };
    },
    make: (url, retry, bad) =>
      new JiraTicketSink(
        {
          baseUrl: url,
          projectKey: 'SEC',
          issueType: 'Task',
          email: 'bot@acme.example',
          apiToken: bad ? 'nope' : 'tok',
          credentialsHint: hint,
        },
        { retry },
      ),
    authStatus: 401,
  },
  {
    name: 'servicenow',
    async start() {
      const f = fakeServiceNow({ user: 'u', password: 'p' });
      await f.server.start();
      return { server: f.server, stored: () => f.incidents.length };
    },
    make: (url, retry, bad) =>
      new ServiceNowTicketSink(
        { instanceUrl: url, auth: { kind: 'basic', user: 'u', password: bad ? 'x' : 'p' }, credentialsHint: hint },
        { retry },
      ),
    authStatus: 401,
  },
  {
    name: 'github',
    async start() {
      const f = fakeGitHub({ token: 'ghp_ok', repo: 'acme/findings' });
      await f.server.start();
      return { server: f.server, stored: () => f.issues.length };
    },
    make: (url, retry, bad) =>
      new GitHubTicketSink(
        { repo: 'acme/findings', token: bad ? 'ghp_bad' : 'ghp_ok', baseUrl: url, credentialsHint: hint },
        { retry },
      ),
    authStatus: 401,
  },
  {
    name: 'slack',
    async start() {
      const f = fakeSlack();
      await f.server.start();
      return { server: f.server, stored: () => f.messages.length };
    },
    make: (url, retry, bad) =>
      new SlackWebhookTicketSink(
        {
          webhookUrl: `${url}/services/T0000/B0000/${bad ? 'REVOKED' : 'XXXXXXXXXXXXXXXXXXXXXXXX'}`,
          credentialsHint: hint,
        },
        { retry },
      ),
    authStatus: 404,
  },
  {
    name: 'webhook',
    async start() {
      const f = fakeWebhookReceiver('k');
      await f.server.start();
      return { server: f.server, stored: () => f.deliveries.length };
    },
    make: (url, retry, bad) =>
      new WebhookTicketSink(
        { url: `${url}/hooks/reflex`, secret: bad ? 'wrong' : 'k', credentialsHint: hint },
        { retry },
      ),
    authStatus: 401,
  },
];

let servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers) {
    expect(s.problems).toEqual([]);
    await s.close();
  }
  servers = [];
});

describe.each(vendors)('$name: the failure path', (vendor) => {
  const setUp = async () => {
    const v = await vendor.start();
    servers.push(v.server);
    return v;
  };

  it('503 twice, then success: files once, after two backoffs', async () => {
    const { server, stored } = await setUp();
    const { retry, delays } = fastRetry();
    server.failNext(503, 2);
    const { ref } = await vendor.make(server.url, retry).file(sampleTicket());
    expect(ref).toBeTruthy();
    expect(stored()).toBe(1);
    // Exponential (100, 200) with the jitter fixed at 0.75.
    expect(delays).toEqual([75, 150]);
  });

  it('500 forever: a clear rejection after 3 attempts, nothing stored', async () => {
    const { server, stored } = await setUp();
    server.failNext(500, 50);
    const err = await vendor
      .make(server.url, fastRetry().retry)
      .file(sampleTicket())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect((err as TicketSinkError).message).toMatch(
      new RegExp(`^${vendor.name}: .+ failed after 3 attempts: HTTP 500`),
    );
    expect(err).toMatchObject({ sink: vendor.name, status: 500, attempts: 3, transient: true });
    expect(server.requests).toHaveLength(3);
    expect(stored()).toBe(0);
  });

  it('a bad credential: an immediate error, not retried, naming where the secret comes from', async () => {
    const { server, stored } = await setUp();
    const err = await vendor
      .make(server.url, fastRetry().retry, true)
      .file(sampleTicket())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ sink: vendor.name, status: vendor.authStatus, attempts: 1, transient: false });
    expect((err as Error).message).toMatch(
      new RegExp(`^${vendor.name}: .+ failed: HTTP ${vendor.authStatus}.*\\(not retried`),
    );
    if (vendor.authStatus === 401) expect((err as Error).message).toContain(hint);
    expect(server.requests).toHaveLength(1);
    expect(stored()).toBe(0);
  });

  it('429 honours Retry-After', async () => {
    const { server, stored } = await setUp();
    const { retry, delays } = fastRetry();
    server.failNext(429, 1, { 'retry-after': '1' });
    await vendor.make(server.url, retry).file(sampleTicket());
    expect(delays).toEqual([1000]);
    expect(stored()).toBe(1);
  });

  it('gives up at once when Retry-After is longer than a remediation may wait', async () => {
    const { server } = await setUp();
    server.failNext(429, 1, { 'retry-after': '120' });
    await expect(vendor.make(server.url, fastRetry().retry).file(sampleTicket())).rejects.toThrow(
      /HTTP 429.*Retry-After 120s is longer than the 2000 ms this call may wait \(gave up after 1 attempt\)/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('a system that is not there: network errors, retried, then a clear rejection', async () => {
    const { server } = await setUp();
    const url = server.url;
    await server.close();
    servers = servers.filter((s) => s !== server);
    await expect(vendor.make(url, fastRetry().retry).file(sampleTicket())).rejects.toThrow(
      new RegExp(`^${vendor.name}: .+ failed after 3 attempts: network error: .*ECONNREFUSED`),
    );
  });
});
