import type { Severity } from '../../model/index.js';
import type { Ticket } from '../ticket.js';
import { basicAuth, HttpClient, type HttpOptions, joinUrl } from './http.js';
import { plainDescription, recurrenceNote, truncate } from './render.js';
import { TicketSinkError } from './retry.js';
import { IssueTrackerSink, type OpenTicket } from './tracker.js';

export type ServiceNowAuth = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

export interface ServiceNowSettings {
  /** `https://<instance>.service-now.com` */
  instanceUrl: string;
  auth: ServiceNowAuth;
  /** The table, `incident` unless the instance extends it. */
  table?: string;
  assignmentGroup?: string;
  callerId?: string;
  category?: string;
  /** `close_code` on resolve; must be one of the instance's choices. */
  closeCode?: string;
  /** Any further fields set on create (e.g. `cmdb_ci`, `business_service`). */
  fields?: Record<string, string>;
  credentialsHint?: string;
  indexTtlMs?: number;
}

interface ServiceNowOpen extends OpenTicket {
  sysId: string;
}

interface ServiceNowRecord {
  sys_id?: string;
  number?: string;
  correlation_id?: string;
}

/** ServiceNow urgency/impact: 1 High, 2 Medium, 3 Low; the default priority matrix makes these P1..P4. */
const URGENCY_IMPACT: Record<Severity, { urgency: string; impact: string }> = {
  critical: { urgency: '1', impact: '1' },
  high: { urgency: '1', impact: '2' },
  medium: { urgency: '2', impact: '2' },
  low: { urgency: '2', impact: '3' },
};

const RESOLVED = '6';

/** U+2060 WORD JOINER: invisible, and breaks the patterns below without changing what a reader sees. */
const JOIN = '\u2060';
/**
 * ServiceNow renders `[code]...[/code]` in journal text as raw HTML (glide.ui.security.allow_codetag), and may in
 * other fields: attacker text must never open one. The joiner keeps the characters, so a pasted command still
 * passes the same characters through its quotes.
 */
const noCodeTags = (s: string) => s.replace(/\[(?=\s*\/?\s*code\s*\])/gi, `[${JOIN}`);
/** Journal text (work notes): no code tags, and no @mention or link from attacker text. */
const journal = (s: string) =>
  noCodeTags(s)
    .replace(/@/g, `@${JOIN}`)
    .replace(/:\/\//g, `:${JOIN}//`)
    .replace(/www\./gi, (m) => `${m.slice(0, 3)}${JOIN}.`);
const MAX_INDEX_ROWS = 1000;

/**
 * ServiceNow (Table API). A ticket is an incident with `correlation_id` = dedupe key and `correlation_display` =
 * Reflex; the open one is `correlation_id=<key>^active=true`. A recurrence adds work notes; resolve sets
 * state 6 (Resolved) with `close_code` and `close_notes`.
 */
export class ServiceNowTicketSink extends IssueTrackerSink<ServiceNowOpen> {
  private readonly http: HttpClient;
  private readonly table: string;

  constructor(
    private readonly settings: ServiceNowSettings,
    options: HttpOptions = {},
  ) {
    super('servicenow', settings.indexTtlMs ?? 30_000);
    this.http = new HttpClient('servicenow', options, settings.credentialsHint);
    this.table = settings.table ?? 'incident';
  }

  private get authorization(): string {
    const a = this.settings.auth;
    return a.kind === 'basic' ? basicAuth(a.user, a.password) : `Bearer ${a.token}`;
  }

  private send(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown, query?: Record<string, string>) {
    return this.http.send({
      method,
      url: joinUrl(this.settings.instanceUrl, `/api/now/table/${this.table}${path}`, query),
      headers: { authorization: this.authorization },
      body,
    });
  }

  private async query(sysparmQuery: string, limit: number, offset = 0): Promise<ServiceNowRecord[]> {
    const res = await this.send('GET', '', undefined, {
      sysparm_query: sysparmQuery,
      sysparm_fields: 'sys_id,number,correlation_id',
      sysparm_limit: String(limit),
      ...(offset ? { sysparm_offset: String(offset) } : {}),
    });
    const result = (res.json as { result?: ServiceNowRecord[] } | undefined)?.result;
    return Array.isArray(result) ? result : [];
  }

  protected async findOpen(dedupeKey: string): Promise<ServiceNowOpen | null> {
    const [hit] = await this.query(`correlation_id=${dedupeKey}^active=true^ORDERBYsys_created_on`, 1);
    return hit?.sys_id ? { ref: hit.number ?? hit.sys_id, sysId: hit.sys_id } : null;
  }

  protected async listOpen(): Promise<Map<string, ServiceNowOpen>> {
    const open = new Map<string, ServiceNowOpen>();
    for (let offset = 0; offset < MAX_INDEX_ROWS; offset += 200) {
      const rows = await this.query('correlation_display=Reflex^active=true^ORDERBYsys_created_on', 200, offset);
      for (const r of rows) {
        if (r.sys_id && r.correlation_id && !open.has(r.correlation_id)) {
          open.set(r.correlation_id, { ref: r.number ?? r.sys_id, sysId: r.sys_id });
        }
      }
      if (rows.length < 200) break;
    }
    return open;
  }

  protected async create(t: Ticket): Promise<ServiceNowOpen> {
    const s = this.settings;
    const res = await this.send('POST', '', {
      // Configured extras first: they may not override the fields Reflex relies on.
      ...s.fields,
      short_description: truncate(noCodeTags(t.title).replace(/[\r\n]+/g, ' '), 160),
      description: noCodeTags(plainDescription(t)),
      ...URGENCY_IMPACT[t.severity],
      correlation_id: t.dedupeKey,
      correlation_display: 'Reflex',
      ...(s.assignmentGroup ? { assignment_group: s.assignmentGroup } : {}),
      ...(s.callerId ? { caller_id: s.callerId } : {}),
      ...(s.category ? { category: s.category } : {}),
    });
    const rec = (res.json as { result?: ServiceNowRecord } | undefined)?.result;
    if (!rec?.sys_id) {
      throw new TicketSinkError(
        'servicenow',
        `POST /api/now/table/${this.table} returned no sys_id`,
        res.status,
        1,
        false,
      );
    }
    return { ref: rec.number ?? rec.sys_id, sysId: rec.sys_id };
  }

  protected async comment(open: ServiceNowOpen, t: Ticket): Promise<void> {
    await this.send('PATCH', `/${open.sysId}`, { work_notes: journal(recurrenceNote(t)) });
  }

  protected async close(open: ServiceNowOpen, _dedupeKey: string, note: string): Promise<void> {
    await this.send('PATCH', `/${open.sysId}`, {
      state: RESOLVED,
      close_code: this.settings.closeCode ?? 'Solution provided',
      close_notes: journal(note),
      work_notes: journal(note),
    });
  }
}
