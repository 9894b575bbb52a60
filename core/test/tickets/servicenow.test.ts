import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowTicketSink } from '../../src/index.js';
import { fakeServiceNow, fastRetry, sampleTicket } from './fakeVendors.js';

let snow: ReturnType<typeof fakeServiceNow>;
let sink: ServiceNowTicketSink;

beforeEach(async () => {
  snow = fakeServiceNow({ user: 'reflex.integration', password: 's3cret' });
  await snow.server.start();
  sink = new ServiceNowTicketSink(
    {
      instanceUrl: snow.server.url,
      auth: { kind: 'basic', user: 'reflex.integration', password: 's3cret' },
      assignmentGroup: 'Cloud Security',
    },
    { retry: fastRetry().retry },
  );
});
afterEach(async () => {
  expect(snow.server.problems).toEqual([]);
  await snow.server.close();
});

describe('ServiceNow sink', () => {
  it('first filing creates an incident correlated by the dedupe key', async () => {
    const ticket = sampleTicket();
    const { ref } = await sink.file(ticket);

    expect(ref).toBe('INC0010001');
    expect(snow.incidents).toHaveLength(1);
    const inc = snow.incidents[0]!;
    expect(inc).toMatchObject({
      short_description: ticket.title,
      correlation_id: ticket.dedupeKey,
      correlation_display: 'Reflex',
      urgency: '1',
      impact: '2',
      assignment_group: 'Cloud Security',
      active: 'true',
    });
    expect(inc.description).toContain('aws s3api put-public-access-block --bucket acme-public-logs');
    expect(inc.description).toContain('ACL grants READ to AllUsers');

    const [lookup, create] = snow.server.requests;
    expect(lookup!.method).toBe('GET');
    expect(lookup!.path).toBe('/api/now/table/incident');
    expect(lookup!.query.get('sysparm_query')).toBe(
      `correlation_id=${ticket.dedupeKey}^active=true^ORDERBYsys_created_on`,
    );
    expect(create!.method).toBe('POST');
    expect(create!.headers.authorization).toBe(`Basic ${Buffer.from('reflex.integration:s3cret').toString('base64')}`);
    expect(create!.headers.accept).toBe('application/json');
    expect(create!.headers['content-type']).toMatch(/^application\/json/);
  });

  it('a recurrence adds work notes to the open incident', async () => {
    const ticket = sampleTicket();
    await sink.file(ticket);
    const again = await sink.file({ ...ticket, trigger: { ...ticket.trigger, eventId: 'evt-2' } });

    expect(again.ref).toBe('INC0010001');
    expect(snow.incidents).toHaveLength(1);
    expect(snow.incidents[0]!.work_notes_journal).toEqual([
      expect.stringMatching(/^Seen again by Reflex .* event evt-2/),
    ]);
    const patch = snow.server.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe(`/api/now/table/incident/${snow.incidents[0]!.sys_id}`);
  });

  it('resolve sets state 6 with close code and notes', async () => {
    const ticket = sampleTicket();
    await sink.file(ticket);
    const resolved = await sink.resolve(ticket.dedupeKey, 'No longer found: fixed outside Reflex.');

    expect(resolved).toEqual({ ref: 'INC0010001' });
    expect(snow.incidents[0]).toMatchObject({
      state: '6',
      active: 'false',
      close_code: 'Solution provided',
      close_notes: 'No longer found: fixed outside Reflex.',
    });
    expect(await sink.resolve(ticket.dedupeKey, 'again')).toBeNull();
    expect((await sink.file(ticket)).ref).toBe('INC0010002');
  });

  it('resolve with nothing open makes one listing and no writes', async () => {
    expect(await sink.resolve(sampleTicket('bucket-a').dedupeKey, 'fixed')).toBeNull();
    expect(await sink.resolve(sampleTicket('bucket-b').dedupeKey, 'fixed')).toBeNull();
    expect(snow.server.requests.map((r) => `${r.method} ${r.query.get('sysparm_query')}`)).toEqual([
      'GET correlation_display=Reflex^active=true^ORDERBYsys_created_on',
    ]);
  });

  it('speaks OAuth bearer when configured', async () => {
    const oauth = fakeServiceNow({ token: 'oauth-access-token' });
    await oauth.server.start();
    const bearer = new ServiceNowTicketSink(
      { instanceUrl: oauth.server.url, auth: { kind: 'bearer', token: 'oauth-access-token' } },
      { retry: fastRetry().retry },
    );
    expect((await bearer.file(sampleTicket())).ref).toBe('INC0010001');
    expect(oauth.server.requests.every((r) => r.headers.authorization === 'Bearer oauth-access-token')).toBe(true);
    expect(oauth.server.problems).toEqual([]);
    await oauth.server.close();
  });
});
