/**
 * Local stand-ins for the ticket systems, on 127.0.0.1. Each one checks every request against the vendor's documented
 * shape (method, path, auth, content type, body fields), records what it received, keeps the state a real one would
 * (issues, comments, states), and answers like the vendor. A request that breaks the contract is answered with the
 * vendor's 400 and listed in `problems`, which each test asserts is empty.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsRefs, buildTicket, type Ticket } from '../../src/index.js';

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: string;
  json: unknown;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FakeServer {
  readonly requests: Received[] = [];
  readonly problems: string[] = [];
  private readonly faults: Reply[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly handle: (req: Received, fail: (why: string) => Reply) => Reply) {}

  /** The next `times` requests (whatever they are) get this status instead of an answer. */
  failNext(status: number, times: number, headers: Record<string, string> = {}) {
    for (let i = 0; i < times; i++) this.faults.push({ status, body: { error: `injected ${status}` }, headers });
  }

  /** Requests other than the given methods (e.g. the writes). */
  count(method?: string) {
    return this.requests.filter((r) => !method || r.method === method).length;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        let json: unknown;
        try {
          json = raw ? JSON.parse(raw) : undefined;
        } catch {
          json = undefined;
        }
        const received: Received = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          raw,
          json,
        };
        this.requests.push(received);
        const fail = (why: string): Reply => {
          this.problems.push(`${received.method} ${received.path}: ${why}`);
          return { status: 400, body: { error: why } };
        };
        const reply = this.faults.shift() ?? this.handle(received, fail);
        const text =
          reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          ...(typeof reply.body === 'string'
            ? { 'content-type': 'text/plain' }
            : reply.body !== undefined
              ? { 'content-type': 'application/json' }
              : {}),
          ...reply.headers,
        });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const isJson = (h: IncomingHttpHeaders) => /^application\/json\b/i.test(h['content-type'] ?? '');
const acceptsJson = (h: IncomingHttpHeaders) => /application\/(vnd\.github[^,]*\+)?json|\*\/\*/i.test(h.accept ?? '');
const DEDUPE = /^reflex-[0-9a-f]{24}$/;

// ---------------------------------------------------------------- Atlassian Document Format

const BLOCKS = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'codeBlock',
  'table',
  'rule',
  'blockquote',
]);
const MARKS = new Set(['strong', 'em', 'code', 'link', 'strike', 'underline']);

/** Problems with an ADF document, per the ADF structure reference (empty: valid). */
export function adfProblems(doc: unknown): string[] {
  const out: string[] = [];
  const keysOk = (n: Obj, at: string, allowed = ['type', 'content', 'attrs', 'marks', 'text']) => {
    for (const k of Object.keys(n)) if (!allowed.includes(k)) out.push(`${at}: key ${k}`);
  };
  const inline = (n: unknown, at: string, inCode: boolean) => {
    if (!isObj(n)) {
      out.push(`${at}: not an object`);
      return;
    }
    keysOk(n, at);
    if (n.type === 'hardBreak') return;
    if (n.type !== 'text') {
      out.push(`${at}: inline ${String(n.type)}`);
      return;
    }
    if (typeof n.text !== 'string' || n.text.length === 0) out.push(`${at}: empty text`);
    if (n.marks !== undefined) {
      if (inCode) out.push(`${at}: marks inside a codeBlock`);
      if (!Array.isArray(n.marks)) {
        out.push(`${at}: marks not an array`);
        return;
      }
      const types = n.marks.map((m) => (isObj(m) ? m.type : undefined));
      for (const t of types) if (!MARKS.has(String(t))) out.push(`${at}: mark ${String(t)}`);
      if (types.includes('code') && types.some((t) => t !== 'code' && t !== 'link'))
        out.push(`${at}: code mark combined with ${types.join(',')}`);
    }
  };
  const children = (n: Obj, at: string, required: boolean): unknown[] => {
    if (n.content === undefined && !required) return [];
    if (!Array.isArray(n.content) || (required && n.content.length === 0)) {
      out.push(`${at}: content must be a non-empty array`);
      return [];
    }
    return n.content;
  };
  const block = (n: unknown, at: string) => {
    if (!isObj(n)) {
      out.push(`${at}: not an object`);
      return;
    }
    keysOk(n, at, ['type', 'content', 'attrs', 'marks']);
    const here = `${at}/${String(n.type)}`;
    switch (n.type) {
      case 'paragraph':
        for (const [i, c] of children(n, here, false).entries()) inline(c, `${here}[${i}]`, false);
        break;
      case 'heading': {
        const level = isObj(n.attrs) ? n.attrs.level : undefined;
        if (typeof level !== 'number' || level < 1 || level > 6) out.push(`${here}: attrs.level 1..6`);
        for (const [i, c] of children(n, here, false).entries()) inline(c, `${here}[${i}]`, false);
        break;
      }
      case 'codeBlock':
        if (n.attrs !== undefined && (!isObj(n.attrs) || typeof (n.attrs.language ?? '') !== 'string'))
          out.push(`${here}: attrs.language`);
        for (const [i, c] of children(n, here, false).entries()) inline(c, `${here}[${i}]`, true);
        break;
      case 'bulletList':
      case 'orderedList':
        for (const [i, li] of children(n, here, true).entries()) {
          if (!isObj(li) || li.type !== 'listItem') out.push(`${here}[${i}]: expected listItem`);
          else for (const [j, c] of children(li, `${here}[${i}]`, true).entries()) block(c, `${here}[${i}][${j}]`);
        }
        break;
      case 'table':
        for (const [i, row] of children(n, here, true).entries()) {
          if (!isObj(row) || row.type !== 'tableRow') {
            out.push(`${here}[${i}]: expected tableRow`);
            continue;
          }
          for (const [j, c] of children(row, `${here}[${i}]`, true).entries()) {
            if (!isObj(c) || (c.type !== 'tableCell' && c.type !== 'tableHeader'))
              out.push(`${here}[${i}][${j}]: expected tableCell or tableHeader`);
            else
              for (const [k, b] of children(c, `${here}[${i}][${j}]`, true).entries())
                block(b, `${here}[${i}][${j}][${k}]`);
          }
        }
        break;
      case 'rule':
        break;
      default:
        if (!BLOCKS.has(String(n.type))) out.push(`${here}: unknown block`);
    }
  };
  if (!isObj(doc) || doc.type !== 'doc' || doc.version !== 1) return ['root: expected { type: "doc", version: 1 }'];
  keysOk(doc, 'doc', ['type', 'version', 'content']);
  if (!Array.isArray(doc.content)) return ['doc: content must be an array'];
  for (const [i, b] of doc.content.entries()) block(b, `doc[${i}]`);
  return out;
}

/** All text of an ADF tree, concatenated (to assert what a description or comment says). */
export function adfText(node: unknown): string {
  if (!isObj(node)) return '';
  const own = typeof node.text === 'string' ? node.text : '';
  const kids = Array.isArray(node.content) ? node.content.map(adfText).join(node.type === 'doc' ? '\n' : '') : '';
  return own + kids;
}

/** Node types used in an ADF tree. */
export function adfTypes(node: unknown, into = new Set<string>()): Set<string> {
  if (isObj(node)) {
    if (typeof node.type === 'string') into.add(node.type);
    if (Array.isArray(node.content)) for (const c of node.content) adfTypes(c, into);
  }
  return into;
}

// ---------------------------------------------------------------- Jira Cloud

export interface JiraIssue {
  id: string;
  key: string;
  fields: Obj;
  labels: string[];
  status: { name: string; category: 'new' | 'indeterminate' | 'done' };
  comments: unknown[];
}

export function fakeJira(opts: { email: string; token: string; project: string }) {
  const issues: JiraIssue[] = [];
  const server: FakeServer = new FakeServer((req, fail): Reply => {
    if (req.headers.authorization !== basic(opts.email, opts.token))
      return { status: 401, body: 'Client must be authenticated to access this resource.' };
    if (!acceptsJson(req.headers)) return fail('Accept must allow application/json');
    if (req.method === 'POST' && !isJson(req.headers)) return fail('Content-Type must be application/json');
    const body = isObj(req.json) ? req.json : {};
    const issueAt = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)(\/comment|\/transitions)?$/.exec(req.path);
    const issue = issueAt ? issues.find((i) => i.key === issueAt[1]) : undefined;

    if (req.method === 'POST' && req.path === '/rest/api/3/issue') {
      const f = isObj(body.fields) ? body.fields : {};
      const project = isObj(f.project) ? f.project.key : undefined;
      if (project !== opts.project) return fail(`fields.project.key ${String(project)}`);
      if (!isObj(f.issuetype) || typeof f.issuetype.name !== 'string') return fail('fields.issuetype.name');
      if (typeof f.summary !== 'string' || !f.summary || f.summary.length > 255 || /\n/.test(f.summary))
        return fail('fields.summary must be one line of at most 255 characters');
      const adf = adfProblems(f.description);
      if (adf.length) return fail(`fields.description is not valid ADF: ${adf.join('; ')}`);
      const labels = f.labels;
      if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string' || /\s/.test(l) || l.length > 255))
        return fail('fields.labels must be strings without spaces');
      if (f.priority !== undefined && !(isObj(f.priority) && typeof f.priority.name === 'string'))
        return fail('fields.priority.name');
      const n = issues.length + 1;
      const created: JiraIssue = {
        id: String(10_000 + n),
        key: `${opts.project}-${n}`,
        fields: f,
        labels: labels as string[],
        status: { name: 'To Do', category: 'new' },
        comments: [],
      };
      issues.push(created);
      return {
        status: 201,
        body: { id: created.id, key: created.key, self: `${server.url}/rest/api/3/issue/${created.id}` },
      };
    }

    if (req.method === 'POST' && req.path === '/rest/api/3/search/jql') {
      if (typeof body.jql !== 'string') return fail('jql is required');
      // The JQL the sink may send: project, labels, statusCategory clauses joined by AND, then ORDER BY.
      const [where] = body.jql.split(/ ORDER BY /i);
      let hits = [...issues];
      for (const clause of where!.split(/ AND /)) {
        const project = /^project = "([^"]+)"$/.exec(clause)?.[1];
        const label = /^labels = "([^"]+)"$/.exec(clause)?.[1];
        if (project) hits = hits.filter((i) => i.key.startsWith(`${project}-`));
        else if (label) hits = hits.filter((i) => i.labels.includes(label));
        else if (clause === 'statusCategory != Done') hits = hits.filter((i) => i.status.category !== 'done');
        else return fail(`unexpected JQL clause ${clause}`);
      }
      const max = typeof body.maxResults === 'number' ? body.maxResults : 50;
      const fields = Array.isArray(body.fields) ? (body.fields as string[]) : [];
      return {
        status: 200,
        body: {
          issues: hits.slice(0, max).map((i) => ({
            id: i.id,
            key: i.key,
            fields: fields.includes('labels') ? { labels: i.labels } : {},
          })),
          isLast: hits.length <= max,
        },
      };
    }

    if (issueAt && !issue) return { status: 404, body: { errorMessages: ['Issue does not exist'] } };
    if (req.method === 'POST' && issueAt?.[2] === '/comment') {
      const adf = adfProblems(body.body);
      if (adf.length) return fail(`comment body is not valid ADF: ${adf.join('; ')}`);
      issue!.comments.push(body.body);
      return { status: 201, body: { id: String(issue!.comments.length), body: body.body } };
    }
    if (req.method === 'GET' && issueAt?.[2] === '/transitions') {
      const all = [
        { id: '11', name: 'Start work', to: { name: 'In Progress', statusCategory: { key: 'indeterminate' } } },
        { id: '31', name: 'Close', to: { name: 'Done', statusCategory: { key: 'done' } } },
      ];
      return { status: 200, body: { transitions: issue!.status.category === 'done' ? [] : all } };
    }
    if (req.method === 'POST' && issueAt?.[2] === '/transitions') {
      const id = isObj(body.transition) ? body.transition.id : undefined;
      if (id === '31') issue!.status = { name: 'Done', category: 'done' };
      else if (id === '11') issue!.status = { name: 'In Progress', category: 'indeterminate' };
      else return fail(`unknown transition ${String(id)}`);
      return { status: 204 };
    }
    return fail('no such endpoint');
  });
  return { server, issues };
}

// ---------------------------------------------------------------- ServiceNow

export interface Incident extends Obj {
  sys_id: string;
  number: string;
  state: string;
  active: string;
  work_notes_journal: string[];
}

export function fakeServiceNow(auth: { user: string; password: string } | { token: string }) {
  const incidents: Incident[] = [];
  const expected = 'token' in auth ? `Bearer ${auth.token}` : basic(auth.user, auth.password);
  const server = new FakeServer((req, fail) => {
    if (req.headers.authorization !== expected)
      return {
        status: 401,
        body: {
          error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
          status: 'failure',
        },
      };
    if (!acceptsJson(req.headers)) return fail('Accept must allow application/json');
    if (req.method !== 'GET' && !isJson(req.headers)) return fail('Content-Type must be application/json');
    const body = isObj(req.json) ? req.json : {};
    const pick = (r: Incident) => {
      const fields = req.query.get('sysparm_fields');
      if (!fields) return r;
      return Object.fromEntries(fields.split(',').map((f) => [f, r[f] ?? '']));
    };

    if (req.path === '/api/now/table/incident' && req.method === 'POST') {
      if (typeof body.short_description !== 'string' || !body.short_description || body.short_description.length > 160)
        return fail('short_description: 1..160 characters');
      if (typeof body.description !== 'string') return fail('description');
      for (const f of ['urgency', 'impact'])
        if (!['1', '2', '3'].includes(String(body[f]))) return fail(`${f} must be 1, 2 or 3`);
      if (typeof body.correlation_id !== 'string' || !DEDUPE.test(body.correlation_id)) return fail('correlation_id');
      if (body.correlation_display !== 'Reflex') return fail('correlation_display');
      const n = incidents.length + 1;
      const inc: Incident = {
        ...body,
        sys_id: n.toString(16).padStart(32, 'a'),
        number: `INC${String(10_000 + n).padStart(7, '0')}`,
        state: '1',
        active: 'true',
        work_notes_journal: [],
      };
      delete inc.work_notes;
      incidents.push(inc);
      return { status: 201, body: { result: inc } };
    }
    if (req.path === '/api/now/table/incident' && req.method === 'GET') {
      const q = req.query.get('sysparm_query') ?? '';
      let hits = [...incidents];
      for (const term of q.split('^')) {
        if (term.startsWith('ORDERBY')) continue;
        const m = /^([a-z_]+)=(.*)$/.exec(term);
        if (!m) return fail(`unexpected query term ${term}`);
        hits = hits.filter((i) => String(i[m[1]!] ?? '') === m[2]);
      }
      const offset = Number(req.query.get('sysparm_offset') ?? 0);
      const limit = Number(req.query.get('sysparm_limit') ?? 10_000);
      return { status: 200, body: { result: hits.slice(offset, offset + limit).map(pick) } };
    }
    const m = /^\/api\/now\/table\/incident\/([0-9a-f]{32})$/.exec(req.path);
    if (m && req.method === 'PATCH') {
      const inc = incidents.find((i) => i.sys_id === m[1]);
      if (!inc) return { status: 404, body: { error: { message: 'No Record found' }, status: 'failure' } };
      if (body.state === '6' && (typeof body.close_code !== 'string' || typeof body.close_notes !== 'string'))
        return fail('resolving needs close_code and close_notes (data policy)');
      for (const [k, v] of Object.entries(body)) {
        if (k === 'work_notes') inc.work_notes_journal.push(String(v));
        else inc[k] = v;
      }
      if (inc.state === '6' || inc.state === '7') inc.active = 'false';
      return { status: 200, body: { result: inc } };
    }
    return fail('no such endpoint');
  });
  return { server, incidents };
}

// ---------------------------------------------------------------- GitHub

export interface GhIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  state_reason: string | null;
  comments: string[];
  pull_request?: Obj;
}

export function fakeGitHub(opts: { token: string; repo: string }) {
  const issues: GhIssue[] = [];
  const base = `/repos/${opts.repo}/issues`;
  const json = (number: number) => {
    const i = issues.find((x) => x.number === number)!;
    return {
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason,
      labels: i.labels.map((name) => ({ name })),
      html_url: `https://github.example/${opts.repo}/issues/${i.number}`,
      ...(i.pull_request ? { pull_request: i.pull_request } : {}),
    };
  };
  const server = new FakeServer((req, fail) => {
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${opts.token}` && auth !== `bearer ${opts.token}`)
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    if (!acceptsJson(req.headers)) return fail('Accept must be application/vnd.github+json');
    if (!req.headers['user-agent']) return fail('User-Agent is required');
    if ((req.method === 'POST' || req.method === 'PATCH') && !isJson(req.headers)) return fail('Content-Type');
    const body = isObj(req.json) ? req.json : {};
    if (req.path === base && req.method === 'GET') {
      const state = req.query.get('state') ?? 'open';
      const labels = (req.query.get('labels') ?? '').split(',').filter(Boolean);
      const perPage = Number(req.query.get('per_page') ?? 30);
      const page = Number(req.query.get('page') ?? 1);
      const hits = issues.filter(
        (i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.includes(l)),
      );
      return { status: 200, body: hits.slice((page - 1) * perPage, page * perPage).map((i) => json(i.number)) };
    }
    if (req.path === base && req.method === 'POST') {
      if (typeof body.title !== 'string' || !body.title) return fail('title is required');
      if (typeof body.body !== 'string') return fail('body');
      if (!Array.isArray(body.labels) || body.labels.some((l) => typeof l !== 'string')) return fail('labels');
      const issue: GhIssue = {
        number: issues.length + 1,
        title: body.title,
        body: body.body,
        labels: body.labels as string[],
        state: 'open',
        state_reason: null,
        comments: [],
      };
      issues.push(issue);
      return { status: 201, body: json(issue.number) };
    }
    const m = new RegExp(`^${base}/(\\d+)(/comments)?$`).exec(req.path);
    const issue = m ? issues.find((i) => i.number === Number(m[1])) : undefined;
    if (m && !issue) return { status: 404, body: { message: 'Not Found' } };
    if (m?.[2] && req.method === 'POST') {
      if (typeof body.body !== 'string' || !body.body) return fail('comment body is required');
      issue!.comments.push(body.body);
      return { status: 201, body: { id: issue!.comments.length, body: body.body } };
    }
    if (m && !m[2] && req.method === 'PATCH') {
      if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') return fail('state');
      if (
        body.state_reason !== undefined &&
        !['completed', 'not_planned', 'reopened', null].includes(body.state_reason as string)
      )
        return fail('state_reason');
      if (body.state) issue!.state = body.state as GhIssue['state'];
      if (body.state_reason !== undefined) issue!.state_reason = body.state_reason as string;
      return { status: 200, body: json(issue!.number) };
    }
    return fail('no such endpoint');
  });
  return { server, issues };
}

// ---------------------------------------------------------------- Slack

/** Problems with a Block Kit message, per Slack's block reference limits (empty: valid). */
export function blockKitProblems(msg: unknown): string[] {
  const out: string[] = [];
  if (!isObj(msg)) return ['payload is not an object'];
  if (typeof msg.text !== 'string' || !msg.text) out.push('text (the notification fallback) should be set');
  if (!Array.isArray(msg.blocks) || msg.blocks.length === 0 || msg.blocks.length > 50) return [...out, 'blocks: 1..50'];
  const textObj = (t: unknown, at: string, max: number, kinds = ['plain_text', 'mrkdwn']) => {
    if (!isObj(t) || !kinds.includes(String(t.type))) {
      out.push(`${at}: text object type`);
      return;
    }
    if (typeof t.text !== 'string' || t.text.length === 0 || t.text.length > max) out.push(`${at}: text 1..${max}`);
  };
  for (const [i, b] of msg.blocks.entries()) {
    const at = `blocks[${i}]`;
    if (!isObj(b)) {
      out.push(`${at}: not an object`);
      continue;
    }
    switch (b.type) {
      case 'header':
        textObj(b.text, `${at}.text`, 150, ['plain_text']);
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) out.push(`${at}: text or fields required`);
        if (b.text !== undefined) textObj(b.text, `${at}.text`, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > 10)
            out.push(`${at}.fields: 1..10`);
          else for (const [j, f] of b.fields.entries()) textObj(f, `${at}.fields[${j}]`, 2000);
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10)
          out.push(`${at}.elements: 1..10`);
        else for (const [j, e] of b.elements.entries()) textObj(e, `${at}.elements[${j}]`, 3000);
        break;
      case 'divider':
        break;
      default:
        out.push(`${at}: block type ${String(b.type)}`);
    }
  }
  return out;
}

export function fakeSlack(hookPath = '/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX') {
  const messages: Obj[] = [];
  const server = new FakeServer((req, fail) => {
    if (req.path !== hookPath) return { status: 404, body: 'no_service' };
    if (req.method !== 'POST') return fail('method must be POST');
    if (!isJson(req.headers)) return { status: 400, body: 'invalid_payload' };
    const problems = blockKitProblems(req.json);
    if (problems.length) {
      fail(`invalid_blocks: ${problems.join('; ')}`);
      return { status: 400, body: 'invalid_blocks' };
    }
    messages.push(req.json as Obj);
    return { status: 200, body: 'ok' };
  });
  return { server, messages, hookPath };
}

// ---------------------------------------------------------------- Generic webhook

/** A receiver that verifies the signature the documented way, independently of the sink's code. */
export function fakeWebhookReceiver(secret: string, toleranceSeconds = 300) {
  const deliveries: { kind: string; body: Obj; idempotencyKey: string; timestamp: number }[] = [];
  const server = new FakeServer((req, fail) => {
    if (req.method !== 'POST' || req.path !== '/hooks/reflex') return fail('expected POST /hooks/reflex');
    if (!isJson(req.headers)) return fail('Content-Type must be application/json');
    const ts = String(req.headers['x-reflex-timestamp'] ?? '');
    const sig = String(req.headers['x-reflex-signature'] ?? '');
    if (!/^\d+$/.test(ts)) return fail('X-Reflex-Timestamp must be Unix seconds');
    if (Math.abs(Date.now() / 1000 - Number(ts)) > toleranceSeconds) return { status: 401, body: { error: 'stale' } };
    const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.`).update(req.raw).digest('hex')}`;
    if (sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected)))
      return { status: 401, body: { error: 'bad signature' } };
    const body = req.json;
    if (
      !isObj(body) ||
      (body.kind !== 'reflex.ticket' && body.kind !== 'reflex.ticket.resolved') ||
      !isObj(body.ticket)
    )
      return fail('body must be { kind, ticket }');
    const key = String(req.headers['idempotency-key'] ?? '');
    if (!key) return fail('Idempotency-Key is required');
    if (req.headers['x-reflex-event'] !== body.kind) return fail('X-Reflex-Event must equal kind');
    deliveries.push({ kind: body.kind, body, idempotencyKey: key, timestamp: Number(ts) });
    return { status: 202, body: { ref: `WH-${deliveries.length}` } };
  });
  return { server, deliveries };
}

// ---------------------------------------------------------------- a ticket

export function sampleTicket(bucket = 'acme-public-logs', overrides: Partial<Ticket> = {}): Ticket {
  const resource = awsRefs.bucket(bucket, '123456789012', 'us-east-1');
  const ticket = buildTicket({
    finding: {
      rule: 'publicStorage',
      resource,
      severity: 'high',
      title: `Bucket ${bucket} is readable by anyone`,
      evidence: ['ACL grants READ to AllUsers', 'Block Public Access is off (bucket level)'],
      fixes: [
        {
          type: 'block-public-access',
          scope: 'bucket',
          block: {
            blockPublicAcls: true,
            ignorePublicAcls: true,
            blockPublicPolicy: true,
            restrictPublicBuckets: true,
          },
        },
      ],
    },
    steps: [
      {
        id: 'rem-1.1',
        rule: 'publicStorage',
        fix: {
          type: 'block-public-access',
          scope: 'bucket',
          block: {
            blockPublicAcls: true,
            ignorePublicAcls: true,
            blockPublicPolicy: true,
            restrictPublicBuckets: true,
          },
        },
        summary: 'Turn on Block Public Access for the bucket',
        calls: [
          {
            api: `s3:PutPublicAccessBlock Bucket=${bucket} BlockPublicAcls=true IgnorePublicAcls=true`,
            argv: [
              'aws',
              's3api',
              'put-public-access-block',
              '--bucket',
              bucket,
              '--public-access-block-configuration',
              'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
            ],
            permission: 's3:PutBucketPublicAccessBlock',
          },
        ],
      },
    ],
    trigger: {
      source: 'cloudtrail',
      eventId: 'evt-1',
      actor: 'arn:aws:iam::123456789012:user/alice',
      eventName: 'PutBucketAcl',
    },
    reason: 'rule publicStorage is in dry-run mode',
    exemptionTag: 'reflex:exempt',
    now: new Date(),
  });
  return { ...ticket, ...overrides };
}

/** Retry settings that keep tests fast; `delays` records each backoff wait instead of sleeping. */
export function fastRetry() {
  const delays: number[] = [];
  return {
    delays,
    retry: {
      attempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      timeoutMs: 2_000,
      random: () => 0.5,
      sleep: async (ms: number) => {
        delays.push(ms);
      },
    },
  };
}
