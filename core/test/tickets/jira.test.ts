import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JiraTicketSink } from '../../src/index.js';
import { adfProblems, adfText, adfTypes, fakeJira, fastRetry, sampleTicket } from './fakeVendors.js';

const creds = { email: 'reflex-bot@acme.example', token: 'jira-api-token' };
let jira: ReturnType<typeof fakeJira>;
let sink: JiraTicketSink;

beforeEach(async () => {
  jira = fakeJira({ ...creds, project: 'SEC' });
  await jira.server.start();
  sink = new JiraTicketSink(
    {
      baseUrl: jira.server.url,
      projectKey: 'SEC',
      issueType: 'Task',
      email: creds.email,
      apiToken: creds.token,
      priorities: { high: 'High' },
    },
    { retry: fastRetry().retry },
  );
});
afterEach(async () => {
  expect(jira.server.problems).toEqual([]);
  await jira.server.close();
});

describe('Jira Cloud sink', () => {
  it('first filing creates an issue with labels, priority and an ADF description', async () => {
    const ticket = sampleTicket();
    const { ref } = await sink.file(ticket);

    expect(ref).toBe('SEC-1');
    expect(jira.issues).toHaveLength(1);
    const issue = jira.issues[0]!;
    expect(issue.fields.project).toEqual({ key: 'SEC' });
    expect(issue.fields.issuetype).toEqual({ name: 'Task' });
    expect(issue.fields.summary).toBe(ticket.title);
    expect(issue.fields.priority).toEqual({ name: 'High' });
    expect(issue.labels).toEqual(['reflex', ticket.dedupeKey]);

    const description = issue.fields.description;
    expect(adfProblems(description)).toEqual([]);
    expect([...adfTypes(description)]).toEqual(
      expect.arrayContaining([
        'doc',
        'heading',
        'paragraph',
        'bulletList',
        'listItem',
        'codeBlock',
        'table',
        'tableRow',
      ]),
    );
    const text = adfText(description);
    expect(text).toContain('ACL grants READ to AllUsers');
    expect(text).toContain('aws s3api put-public-access-block --bucket acme-public-logs');
    expect(text).toContain('s3:PutPublicAccessBlock');
    expect(text).toContain(ticket.dedupeKey);

    const create = jira.server.requests.find((r) => r.path === '/rest/api/3/issue')!;
    expect(create.method).toBe('POST');
    expect(create.headers.authorization).toBe(
      `Basic ${Buffer.from(`${creds.email}:${creds.token}`).toString('base64')}`,
    );
    expect(create.headers['content-type']).toMatch(/^application\/json/);
    // The lookup went through the current JQL endpoint, scoped to the project, the key and open issues.
    const search = jira.server.requests.find((r) => r.path === '/rest/api/3/search/jql')!;
    expect((search.json as { jql: string }).jql).toBe(
      `project = "SEC" AND labels = "reflex" AND labels = "${ticket.dedupeKey}" AND statusCategory != Done ORDER BY created ASC`,
    );
  });

  it('a recurrence comments on the open issue instead of opening a second one', async () => {
    const ticket = sampleTicket();
    await sink.file(ticket);
    const again = await sink.file({ ...ticket, trigger: { ...ticket.trigger, eventId: 'evt-2' } });

    expect(again.ref).toBe('SEC-1');
    expect(jira.issues).toHaveLength(1);
    expect(jira.issues[0]!.comments).toHaveLength(1);
    expect(adfText(jira.issues[0]!.comments[0])).toMatch(
      /Seen again by Reflex .* event evt-2 \(PutBucketAcl\) by arn:aws:iam::123456789012:user\/alice/,
    );
  });

  it('resolve comments and transitions the issue into a Done-category status', async () => {
    const ticket = sampleTicket();
    await sink.file(ticket);
    const closed = await sink.resolve(ticket.dedupeKey, 'Fixed by Reflex: Turn on Block Public Access for the bucket');

    expect(closed).toEqual({ ref: 'SEC-1' });
    const issue = jira.issues[0]!;
    expect(issue.status).toEqual({ name: 'Done', category: 'done' });
    expect(adfText(issue.comments.at(-1))).toBe('Fixed by Reflex: Turn on Block Public Access for the bucket');
    // It chose the Done transition (id 31), not the first one offered.
    const transition = jira.server.requests.filter((r) => r.path.endsWith('/transitions') && r.method === 'POST');
    expect(transition.map((r) => r.json)).toEqual([{ transition: { id: '31' } }]);

    // The next occurrence opens a fresh issue: the old one is done.
    const { ref } = await sink.file({ ...ticket, trigger: { ...ticket.trigger, eventId: 'evt-3' } });
    expect(ref).toBe('SEC-2');
  });

  it('resolve with nothing open writes nothing, and reuses one listing for further keys', async () => {
    await sink.file(sampleTicket('other-bucket'));
    const before = jira.server.requests.length;

    expect(await sink.resolve(sampleTicket('never-ticketed').dedupeKey, 'No longer found')).toBeNull();
    expect(await sink.resolve(sampleTicket('also-fine').dedupeKey, 'No longer found')).toBeNull();

    const after = jira.server.requests.slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]!.path).toBe('/rest/api/3/search/jql');
    expect(jira.issues[0]!.status.category).toBe('new');
    expect(jira.issues[0]!.comments).toEqual([]);
  });

  it('fails clearly when the configured resolve transition does not exist', async () => {
    const ticket = sampleTicket();
    await sink.file(ticket);
    const strict = new JiraTicketSink(
      {
        baseUrl: jira.server.url,
        projectKey: 'SEC',
        issueType: 'Task',
        email: creds.email,
        apiToken: creds.token,
        doneTransition: 'Archive',
      },
      { retry: fastRetry().retry },
    );
    await expect(strict.resolve(ticket.dedupeKey, 'fixed')).rejects.toThrow(
      /^jira: cannot resolve SEC-1: no transition named "Archive" \(available: Start work, Close\); commented only$/,
    );
  });
});

describe('the ADF check used by the fake', () => {
  it('is not vacuous: it rejects empty text, marks in code blocks, bare cells and unknown nodes', () => {
    const doc = (...content: unknown[]) => ({ type: 'doc', version: 1, content });
    expect(adfProblems(doc({ type: 'paragraph', content: [{ type: 'text', text: '' }] }))).toHaveLength(1);
    expect(
      adfProblems(doc({ type: 'codeBlock', content: [{ type: 'text', text: 'x', marks: [{ type: 'strong' }] }] })),
    ).toHaveLength(1);
    expect(
      adfProblems(
        doc({ type: 'table', content: [{ type: 'tableRow', content: [{ type: 'tableCell', content: [] }] }] }),
      ),
    ).toHaveLength(1);
    expect(adfProblems(doc({ type: 'markdown', text: '# no' }))).toHaveLength(2);
    expect(adfProblems({ type: 'doc', content: [] })).toHaveLength(1);
  });
});
