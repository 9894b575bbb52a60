import { Octokit } from '@octokit/rest';
import type { Ticket } from '../ticket.js';
import { codeFence, codeSpan, mdText } from './markdown.js';
import { recurrenceNote, ticketFacts, truncate } from './render.js';
import {
  type AttemptFailure,
  classifyFetchError,
  classifyStatus,
  DEFAULT_RETRY,
  parseRetryAfter,
  type RetryOptions,
  withRetry,
} from './retry.js';
import { IssueTrackerSink, type OpenTicket } from './tracker.js';

export interface GitHubSettings {
  /** `owner/name` */
  repo: string;
  token: string;
  /** `https://api.github.com` by default; GHES: `https://<host>/api/v3`. */
  baseUrl?: string;
  /** Extra labels besides `reflex`, `severity:<s>` and `rule:<r>`. */
  labels?: string[];
  credentialsHint?: string;
  indexTtlMs?: number;
}

export interface GitHubOptions {
  retry?: Partial<RetryOptions>;
  /** Passed to Octokit (`request.fetch`), for tests. */
  fetch?: typeof fetch;
}

interface GitHubOpen extends OpenTicket {
  number: number;
}

const MAX_INDEX_PAGES = 10;

/** The hidden marker that carries the dedupe key in the issue body. */
export const githubMarker = (dedupeKey: string) => `<!-- reflex:${dedupeKey} -->`;
const MARKER_RE = /<!-- reflex:(reflex-[0-9a-f]+) -->/;

/**
 * GitHub Issues (through Octokit). A ticket is an issue labelled `reflex` whose body carries the hidden marker
 * `<!-- reflex:KEY -->`. The open one is found by listing the repository's open issues labelled `reflex` (not the
 * search API, which is eventually consistent and more tightly rate-limited). A recurrence comments; resolve
 * comments and closes with `state_reason: completed`.
 */
export class GitHubTicketSink extends IssueTrackerSink<GitHubOpen> {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  private readonly retry: RetryOptions;

  constructor(
    private readonly settings: GitHubSettings,
    options: GitHubOptions = {},
  ) {
    super('github', settings.indexTtlMs ?? 30_000);
    const [owner, repo] = settings.repo.split('/');
    if (!owner || !repo) throw new Error(`github: repo must be owner/name, got ${JSON.stringify(settings.repo)}`);
    this.owner = owner;
    this.repo = repo;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.octokit = new Octokit({
      auth: settings.token,
      userAgent: 'reflex-ticket-sink',
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl.replace(/\/+$/, '') } : {}),
      ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  }

  private call<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withRetry(
      'github',
      what,
      this.retry,
      () => run(AbortSignal.timeout(this.retry.timeoutMs)),
      classifyOctokitError,
      this.settings.credentialsHint,
    );
  }

  private async openIssues(stopAt?: string): Promise<Map<string, GitHubOpen>> {
    const open = new Map<string, GitHubOpen>();
    for (let page = 1; page <= MAX_INDEX_PAGES; page++) {
      const { data } = await this.call(`GET /repos/${this.settings.repo}/issues`, (signal) =>
        this.octokit.rest.issues.listForRepo({
          owner: this.owner,
          repo: this.repo,
          state: 'open',
          labels: 'reflex',
          sort: 'created',
          direction: 'asc',
          per_page: 100,
          page,
          request: { signal },
        }),
      );
      for (const issue of data) {
        if (issue.pull_request) continue;
        const key = MARKER_RE.exec(issue.body ?? '')?.[1];
        if (key && !open.has(key)) open.set(key, { ref: `#${issue.number}`, number: issue.number });
      }
      if (data.length < 100 || (stopAt && open.has(stopAt))) break;
    }
    return open;
  }

  protected async findOpen(dedupeKey: string): Promise<GitHubOpen | null> {
    return (await this.openIssues(dedupeKey)).get(dedupeKey) ?? null;
  }

  protected listOpen(): Promise<Map<string, GitHubOpen>> {
    return this.openIssues();
  }

  protected async create(t: Ticket): Promise<GitHubOpen> {
    const labels = [
      ...new Set(['reflex', `severity:${t.severity}`, `rule:${t.rule}`, ...(this.settings.labels ?? [])]),
    ];
    const { data } = await this.call(`POST /repos/${this.settings.repo}/issues`, (signal) =>
      this.octokit.rest.issues.create({
        owner: this.owner,
        repo: this.repo,
        title: truncate(t.title.replace(/[\r\n]+/g, ' '), 256),
        body: githubBody(t),
        labels,
        request: { signal },
      }),
    );
    return { ref: `#${data.number}`, number: data.number };
  }

  private async addComment(open: GitHubOpen, body: string): Promise<void> {
    await this.call(`POST /repos/${this.settings.repo}/issues/${open.number}/comments`, (signal) =>
      this.octokit.rest.issues.createComment({
        owner: this.owner,
        repo: this.repo,
        issue_number: open.number,
        body,
        request: { signal },
      }),
    );
  }

  protected comment(open: GitHubOpen, t: Ticket): Promise<void> {
    return this.addComment(open, githubRecurrence(t));
  }

  protected async close(open: GitHubOpen, _dedupeKey: string, note: string): Promise<void> {
    await this.addComment(open, mdText(note));
    await this.call(`PATCH /repos/${this.settings.repo}/issues/${open.number}`, (signal) =>
      this.octokit.rest.issues.update({
        owner: this.owner,
        repo: this.repo,
        issue_number: open.number,
        state: 'closed',
        state_reason: 'completed',
        request: { signal },
      }),
    );
  }
}

/** Octokit throws a RequestError with `status` and `response.headers`; anything else is a network failure. */
function classifyOctokitError(err: unknown): AttemptFailure {
  const e = err as {
    status?: unknown;
    response?: { headers?: Record<string, unknown>; data?: unknown };
    message?: string;
  };
  if (typeof e?.status === 'number' && e.response) {
    const headers = e.response.headers ?? {};
    const retryAfter = headers['retry-after'];
    const data = e.response.data as { message?: string } | undefined;
    return {
      transient: classifyStatus(e.status, headers),
      status: e.status,
      retryAfterMs: parseRetryAfter(retryAfter === undefined ? undefined : String(retryAfter)),
      detail: `HTTP ${e.status}${data?.message ? `: ${data.message}` : e.message ? `: ${e.message}` : ''}`,
    };
  }
  // No response: Octokit wraps the fetch failure (status 500, no response) or it timed out.
  const cause = (err as { cause?: unknown })?.cause;
  if (cause !== undefined) return { ...classifyFetchError(cause), transient: true };
  const f = classifyFetchError(err);
  return typeof e?.status === 'number' ? { ...f, transient: true } : f;
}

/**
 * The issue body in GitHub-flavoured Markdown, with the dedupe marker first. Every value that may come from the
 * resource or the event is code (markdown.ts): it shows as written and cannot format, link or mention.
 */
export function githubBody(t: Ticket): string {
  const lines = [githubMarker(t.dedupeKey), `**${mdText(t.finding.title)}**`, '', '| | |', '|---|---|'];
  for (const [label, value] of ticketFacts(t)) lines.push(`| ${label} | ${codeSpan(value, { inTable: true })} |`);
  lines.push(
    '',
    '### Evidence',
    ...(t.finding.evidence.length ? t.finding.evidence.map((e) => `- ${mdText(e)}`) : ['(none recorded)']),
  );
  lines.push('', '### Why it was not fixed automatically', mdText(t.reason));
  if (t.steps.length) {
    lines.push('', '### Planned changes');
    t.steps.forEach((s, i) => {
      lines.push(
        '',
        `${i + 1}. **${mdText(s.summary)}** (needs ${codeSpan(s.permission)})`,
        '',
        codeFence(s.api, 'text'),
        codeFence(s.cli, 'sh'),
      );
    });
  }
  lines.push('', '### Apply or exempt', codeFence(t.howToApply, 'sh'), codeFence(t.howToExempt, 'sh'));
  return lines.join('\n');
}

/** A recurrence comment: the shared note, escaped (its actor and event ids come from the event). */
export function githubRecurrence(t: Ticket): string {
  return mdText(recurrenceNote(t));
}
