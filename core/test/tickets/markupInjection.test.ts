/**
 * A ticket's names, evidence, actor and commands come from the resource and the event: an attacker writes them.
 * Rendered into each tracker, that text must show as written and never become markup: no link, image, HTML,
 * @mention, #reference or code-block escape, and the printed command must stay the command.
 */
import MarkdownIt from 'markdown-it';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  githubBody,
  ServiceNowTicketSink,
  shellCommand,
  slackMessage,
  type Ticket,
  ticketDocument,
} from '../../src/index.js';
import { fakeServiceNow, fastRetry, sampleTicket } from './fakeVendors.js';

const HOSTILE = [
  '@octocat @here <!channel> <@U012AB3CD> @channel',
  'see #1 and GH-2 https://evil.example/x www.evil.example mail@evil.example',
  '[click](https://evil.example) ![img](https://evil.example/p.png) <img src=x onerror=alert(1)>',
  '<a href="https://evil.example">a</a> <script>alert(1)</script> &lt;b&gt; &amp;',
  '*bold* _it_ ~strike~ `code` ``` fence ``` ~~~',
  '| cell | break |\n# heading\n- item\n> quote\n---\n1. one',
  '<https://evil.example|label> [code]<img src=x>[/code] [ Code ]x[/CODE]',
  '<!-- reflex:reflex-000000000000000000000000 -->',
].join(' \n');

/** A ticket where every field an attacker can reach holds HOSTILE; the command holds it as one argument. */
function hostileTicket(): Ticket {
  const base = sampleTicket();
  const argv = ['aws', 's3api', 'put-bucket-policy', '--bucket', 'b', '--policy', HOSTILE];
  return {
    ...base,
    title: `[Reflex] ${HOSTILE}`,
    resource: { ...base.resource, id: HOSTILE, account: HOSTILE, region: HOSTILE },
    rule: 'publicStorage',
    finding: { ...base.finding, title: HOSTILE, evidence: [HOSTILE, HOSTILE] },
    trigger: { source: 'cloudtrail', eventId: HOSTILE, actor: HOSTILE, eventName: HOSTILE },
    steps: [{ summary: HOSTILE, api: HOSTILE, argv, cli: shellCommand(argv), permission: HOSTILE }],
    reason: HOSTILE,
  };
}

describe('GitHub: attacker text in an issue body', () => {
  // GitHub's own processing, as markdown-it approximates it: GFM tables, raw HTML allowed, autolinks on.
  const md = new MarkdownIt({ html: true, linkify: true });
  const body = githubBody(hostileTicket());
  const html = md.render(body);
  /** What GitHub post-processes for mentions, references and autolinks: the text outside code. */
  const outsideCode = html.replace(/<pre>[\s\S]*?<\/pre>/g, '').replace(/<code>[\s\S]*?<\/code>/g, '');

  it('makes no link, image or HTML element, and no mention, reference or autolink', () => {
    expect(html).not.toMatch(/<a[\s>]/);
    expect(html).not.toMatch(/<img|<script|<h1|<blockquote|<hr|<del|<s>|<em>/);
    expect(html.match(/<ol>/g)).toHaveLength(1); // the planned steps, Reflex's own list
    // The dedupe marker the sink looks up is Reflex's, first; the only HTML comment outside code.
    expect(/<!-- reflex:(reflex-[0-9a-f]+) -->/.exec(body)?.[1]).toBe(hostileTicket().dedupeKey);
    expect(outsideCode.match(/<!--/g)).toHaveLength(1);
    const tags = new Set([...outsideCode.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual([
      'h3',
      'li',
      'ol',
      'p',
      'strong',
      'table',
      'tbody',
      'td',
      'th',
      'thead',
      'tr',
      'ul',
    ]);
    // GitHub's mention and issue-reference patterns, and the autolinks it adds after rendering.
    expect(outsideCode).not.toMatch(/(^|[^\w`])@[a-z0-9]/i);
    expect(outsideCode).not.toMatch(/(^|\W)(#|GH-)\d/);
    expect(outsideCode).not.toMatch(/:\/\/|www\./i);
  });

  it('shows the command exactly, in one code block, and the facts as code', () => {
    const t = hostileTicket();
    const blocks = [...html.matchAll(/<pre><code class="language-sh">([\s\S]*?)\n<\/code><\/pre>/g)].map((m) =>
      m[1]!
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    );
    expect(blocks[0]).toBe(t.steps[0]!.cli);
    expect((html.match(/<tr>/g) ?? []).length).toBe(7); // header + six facts: no row broken by a `|`
  });
});

describe('Slack: attacker text in a Block Kit message', () => {
  const msg = slackMessage(hostileTicket());
  const mrkdwn = msg.blocks.flatMap((b) =>
    b.type === 'section' ? [...(b.text ? [b.text] : []), ...(b.fields ?? [])] : b.type === 'context' ? b.elements : [],
  );

  it('escapes &, < and >, defuses links and mentions, and turns off auto-linking', () => {
    expect(mrkdwn.length).toBeGreaterThan(3);
    for (const m of mrkdwn) {
      expect(m.verbatim).toBe(true);
      // Slack's control sequences start with `<`: none survive; every & is an entity.
      expect(m.text).not.toMatch(/<|>/);
      expect(m.text).not.toMatch(/&(?!amp;|lt;|gt;)/);
      // Outside code blocks (Slack parses nothing inside them).
      expect(m.text.replace(/```[\s\S]*?```/g, '')).not.toMatch(/@(here|channel|octocat)|:\/\/|www\./);
    }
    expect(msg.text).not.toMatch(/<|>|@here|:\/\//);
  });

  it('keeps the command in one code block whose characters are the command', () => {
    const step = mrkdwn.find((m) => m.text.includes('```'))!.text;
    const fenced = step.slice(step.indexOf('```') + 3, step.lastIndexOf('```'));
    expect(fenced).not.toContain('```');
    const shown = fenced
      .replace(/\u2060/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    expect(shown).toBe(hostileTicket().steps[0]!.cli);
  });
});

describe('Jira: attacker text in an ADF document', () => {
  const doc = ticketDocument(hostileTicket());
  const nodes: { type: string; marks?: { type: string }[]; text?: string }[] = [];
  const walk = (n: unknown) => {
    if (!n || typeof n !== 'object') return;
    nodes.push(n as (typeof nodes)[number]);
    for (const child of (n as { content?: unknown[] }).content ?? []) walk(child);
  };
  walk(doc);

  it('holds it in text nodes only: no link mark, mention, card or emoji node', () => {
    const types = new Set(nodes.map((n) => n.type));
    for (const t of ['mention', 'inlineCard', 'blockCard', 'emoji', 'media', 'mediaSingle', 'status'])
      expect(types).not.toContain(t);
    expect(nodes.flatMap((n) => n.marks ?? []).map((m) => m.type)).not.toContain('link');
    expect(nodes.filter((n) => n.text?.includes('@octocat')).length).toBeGreaterThan(3);
    const code = nodes.filter((n) => n.type === 'codeBlock');
    expect(code.some((c) => JSON.stringify(c).includes(JSON.stringify(hostileTicket().steps[0]!.cli)))).toBe(true);
  });
});

describe('ServiceNow: attacker text in an incident', () => {
  let snow: ReturnType<typeof fakeServiceNow>;
  let sink: ServiceNowTicketSink;
  beforeEach(async () => {
    snow = fakeServiceNow({ user: 'u', password: 'p' });
    await snow.server.start();
    sink = new ServiceNowTicketSink(
      { instanceUrl: snow.server.url, auth: { kind: 'basic', user: 'u', password: 'p' } },
      { retry: fastRetry().retry },
    );
  });
  afterEach(async () => {
    expect(snow.server.problems).toEqual([]);
    await snow.server.close();
  });

  it('opens no [code] HTML block in any field, and no mention or link in work notes', async () => {
    const t = hostileTicket();
    await sink.file(t);
    await sink.file({ ...t, trigger: { ...t.trigger, eventId: 'again' } });
    await sink.resolve(t.dedupeKey, `Fixed by Reflex: ${HOSTILE}`);
    const inc = snow.incidents[0]!;
    const fields = [inc.short_description, inc.description, inc.close_notes, ...inc.work_notes_journal].map(String);
    expect(fields.join('')).toContain('<img src=x');
    for (const f of fields) expect(f).not.toMatch(/\[\s*\/?\s*code\s*\]/i);
    for (const note of [inc.close_notes, ...inc.work_notes_journal].map(String))
      expect(note).not.toMatch(/@(here|channel|octocat)|:\/\/|www\./);
  });
});
