import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubTicketSink, githubMarker } from '../../src/index.js';
import { fakeGitHub, fastRetry, sampleTicket } from './fakeVendors.js';

let gh: ReturnType<typeof fakeGitHub>;
let sink: GitHubTicketSink;

beforeEach(async () => {
  gh = fakeGitHub({ token: 'ghp_test', repo: 'acme/cloud-findings' });
  await gh.server.start();
  sink = new GitHubTicketSink(
    { repo: 'acme/cloud-findings', token: 'ghp_test', baseUrl: gh.server.url, labels: ['security'] },
    { retry: fastRetry().retry },
  );
});
afterEach(async () => {
  expect(gh.server.problems).toEqual([]);
  await gh.server.close();
});

describe('GitHub Issues sink', () => {
  it('first filing creates a labelled issue carrying the hidden dedupe marker', async () => {
    const ticket = sampleTicket();
    const { ref } = await sink.file(ticket);

    expect(ref).toBe('#1');
    expect(gh.issues).toHaveLength(1);
    const issue = gh.issues[0]!;
    expect(issue.title).toBe(ticket.title);
    expect(issue.labels).toEqual(['reflex', 'severity:high', 'rule:publicStorage', 'security']);
    expect(issue.body.startsWith(githubMarker(ticket.dedupeKey))).toBe(true);
    expect(issue.body).toContain('```sh\naws s3api put-public-access-block --bucket acme-public-logs');
    expect(issue.body).toContain('- ACL grants READ to AllUsers');

    const list = gh.server.requests[0]!;
    expect(list.method).toBe('GET');
    expect(list.path).toBe('/repos/acme/cloud-findings/issues');
    expect(Object.fromEntries(list.query)).toMatchObject({ state: 'open', labels: 'reflex', per_page: '100' });
    expect(list.headers.authorization).toBe('token ghp_test');
    expect(list.headers.accept).toBe('application/vnd.github.v3+json');
  });

  it('a recurrence comments on the open issue (pull requests and other keys are ignored)', async () => {
    const ticket = sampleTicket();
    // A pull request that quotes the marker, and another finding's issue, must not be taken for this one.
    gh.issues.push(
      {
        number: 1,
        title: 'PR',
        body: githubMarker(ticket.dedupeKey),
        labels: ['reflex'],
        state: 'open',
        state_reason: null,
        comments: [],
        pull_request: { url: 'x' },
      },
      {
        number: 2,
        title: 'other',
        body: githubMarker(sampleTicket('other').dedupeKey),
        labels: ['reflex'],
        state: 'open',
        state_reason: null,
        comments: [],
      },
    );
    const first = await sink.file(ticket);
    const again = await sink.file({ ...ticket, trigger: { ...ticket.trigger, eventId: 'evt-2' } });

    expect(first.ref).toBe('#3');
    expect(again.ref).toBe('#3');
    expect(gh.issues.filter((i) => !i.pull_request)).toHaveLength(2);
    expect(gh.issues[2]!.comments).toEqual([expect.stringMatching(/^Seen again by Reflex .* event evt-2/)]);
    expect(gh.issues[0]!.comments).toEqual([]);
  });

  it('resolve comments and closes the issue as completed', async () => {
    const ticket = sampleTicket();
    await sink.file(ticket);
    const closed = await sink.resolve(ticket.dedupeKey, 'Fixed by Reflex: Turn on Block Public Access for the bucket');

    expect(closed).toEqual({ ref: '#1' });
    expect(gh.issues[0]).toMatchObject({
      state: 'closed',
      state_reason: 'completed',
      comments: ['Fixed by Reflex: Turn on Block Public Access for the bucket'],
    });
    const patch = gh.server.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe('/repos/acme/cloud-findings/issues/1');
    expect(patch.json).toEqual({ state: 'closed', state_reason: 'completed' });
  });

  it('resolve with nothing open lists once and writes nothing', async () => {
    expect(await sink.resolve(sampleTicket('bucket-a').dedupeKey, 'fixed')).toBeNull();
    expect(await sink.resolve(sampleTicket('bucket-b').dedupeKey, 'fixed')).toBeNull();
    expect(gh.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/cloud-findings/issues']);
  });

  it('files concurrent deliveries of one finding as one issue', async () => {
    const ticket = sampleTicket();
    const refs = await Promise.all([sink.file(ticket), sink.file(ticket), sink.file(ticket)]);
    expect(refs.map((r) => r.ref)).toEqual(['#1', '#1', '#1']);
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]!.comments).toHaveLength(2);
  });
});
