import type { Severity } from '../../model/index.js';
import type { Ticket } from '../ticket.js';
import { doc, paragraph, text, ticketDocument } from './adf.js';
import { basicAuth, HttpClient, type HttpOptions, joinUrl } from './http.js';
import { recurrenceNote, truncate } from './render.js';
import { TicketSinkError } from './retry.js';
import { IssueTrackerSink, type OpenTicket } from './tracker.js';

export interface JiraSettings {
  /** `https://<site>.atlassian.net` */
  baseUrl: string;
  projectKey: string;
  issueType: string;
  email: string;
  apiToken: string;
  /** Jira priority names by severity; only sent when set (the field may not be on the create screen). */
  priorities?: Partial<Record<Severity, string>>;
  /** Extra labels besides `reflex` and the dedupe key. */
  labels?: string[];
  /** The transition used to resolve; by default the first one into a status of the Done category. */
  doneTransition?: string;
  /** Where the credentials came from, for auth error messages. */
  credentialsHint?: string;
  indexTtlMs?: number;
}

interface JiraOpen extends OpenTicket {
  id: string;
}

interface JiraSearchPage {
  issues?: { id: string; key: string; fields?: { labels?: string[] } }[];
  nextPageToken?: string | null;
  isLast?: boolean;
}

interface JiraTransitions {
  transitions?: { id: string; name: string; to?: { name?: string; statusCategory?: { key?: string } } }[];
}

const MAX_INDEX_PAGES = 10;

/**
 * Jira Cloud (REST v3). A ticket is an issue labelled `reflex` and with its dedupe key; the open one is found with
 * JQL (`/rest/api/3/search/jql`, `statusCategory != Done`). A recurrence adds a comment; resolve comments and
 * moves the issue through a transition into a Done-category status.
 */
export class JiraTicketSink extends IssueTrackerSink<JiraOpen> {
  private readonly http: HttpClient;
  private readonly auth: string;
  /** Issues this process created: passed as `reconcileIssues` so a search right after a create sees them. */
  private readonly created = new Map<string, string>();

  constructor(
    private readonly settings: JiraSettings,
    options: HttpOptions = {},
  ) {
    super('jira', settings.indexTtlMs ?? 30_000);
    this.http = new HttpClient('jira', options, settings.credentialsHint);
    this.auth = basicAuth(settings.email, settings.apiToken);
  }

  private url(path: string) {
    return joinUrl(this.settings.baseUrl, path);
  }

  private send(method: 'GET' | 'POST', path: string, body?: unknown) {
    return this.http.send({ method, url: this.url(path), headers: { authorization: this.auth }, body });
  }

  private jql(extra: string): string {
    const project = JSON.stringify(this.settings.projectKey);
    return `project = ${project} AND labels = "reflex"${extra} AND statusCategory != Done ORDER BY created ASC`;
  }

  private async search(jql: string, maxResults: number, nextPageToken?: string): Promise<JiraSearchPage> {
    const reconcile = [...this.created.values()].map(Number).filter(Number.isFinite).slice(-50);
    const res = await this.send('POST', '/rest/api/3/search/jql', {
      jql,
      fields: ['labels'],
      maxResults,
      ...(nextPageToken ? { nextPageToken } : {}),
      ...(reconcile.length ? { reconcileIssues: reconcile } : {}),
    });
    return (res.json ?? {}) as JiraSearchPage;
  }

  protected async findOpen(dedupeKey: string): Promise<JiraOpen | null> {
    const page = await this.search(this.jql(` AND labels = ${JSON.stringify(dedupeKey)}`), 1);
    const hit = page.issues?.[0];
    return hit ? { ref: hit.key, id: hit.id } : null;
  }

  protected async listOpen(): Promise<Map<string, JiraOpen>> {
    const open = new Map<string, JiraOpen>();
    let token: string | undefined;
    for (let i = 0; i < MAX_INDEX_PAGES; i++) {
      const page = await this.search(this.jql(''), 100, token);
      for (const issue of page.issues ?? []) {
        for (const label of issue.fields?.labels ?? []) {
          if (label.startsWith('reflex-') && !open.has(label)) open.set(label, { ref: issue.key, id: issue.id });
        }
      }
      if (!page.nextPageToken || page.isLast) break;
      token = page.nextPageToken;
    }
    return open;
  }

  protected async create(t: Ticket): Promise<JiraOpen> {
    const priority = this.settings.priorities?.[t.severity];
    const labels = [...new Set(['reflex', t.dedupeKey, ...(this.settings.labels ?? [])])];
    const res = await this.send('POST', '/rest/api/3/issue', {
      fields: {
        project: { key: this.settings.projectKey },
        issuetype: { name: this.settings.issueType },
        summary: truncate(t.title.replace(/[\r\n]+/g, ' '), 255),
        description: ticketDocument(t),
        labels,
        ...(priority ? { priority: { name: priority } } : {}),
      },
    });
    const body = res.json as { id?: string; key?: string } | undefined;
    if (!body?.key || !body.id) {
      throw new TicketSinkError('jira', 'POST /rest/api/3/issue returned no issue key', res.status, 1, false);
    }
    this.created.set(t.dedupeKey, body.id);
    return { ref: body.key, id: body.id };
  }

  protected async comment(open: JiraOpen, t: Ticket): Promise<void> {
    await this.send('POST', `/rest/api/3/issue/${encodeURIComponent(open.ref)}/comment`, {
      body: doc(paragraph(text(recurrenceNote(t)))),
    });
  }

  protected async close(open: JiraOpen, dedupeKey: string, note: string): Promise<void> {
    const issue = `/rest/api/3/issue/${encodeURIComponent(open.ref)}`;
    await this.send('POST', `${issue}/comment`, { body: doc(paragraph(text(note))) });
    const res = await this.send('GET', `${issue}/transitions`);
    const transitions = (res.json as JiraTransitions | undefined)?.transitions ?? [];
    const wanted = this.settings.doneTransition?.toLowerCase();
    const done = wanted
      ? transitions.find((t) => t.name.toLowerCase() === wanted || t.to?.name?.toLowerCase() === wanted)
      : transitions.find((t) => t.to?.statusCategory?.key === 'done');
    if (!done) {
      throw new TicketSinkError(
        'jira',
        `cannot resolve ${open.ref}: no transition ${wanted ? `named "${this.settings.doneTransition}"` : 'into a Done status'} (available: ${transitions.map((t) => t.name).join(', ') || 'none'}); commented only`,
        undefined,
        1,
        false,
      );
    }
    await this.send('POST', `${issue}/transitions`, { transition: { id: done.id } });
    this.created.delete(dedupeKey);
  }
}
