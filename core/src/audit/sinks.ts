import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecord } from '../model/index.js';

/** Every applied step is recorded with its before and after, so it can be undone and explained. */
export interface AuditSink {
  record(record: AuditRecord): Promise<void>;
}

/** An audit store that can also be read back, for undo. */
export interface AuditStore extends AuditSink {
  byRemediation(remediationId: string): Promise<AuditRecord[]>;
}

export class MemoryAuditStore implements AuditStore {
  readonly records: AuditRecord[] = [];
  async record(r: AuditRecord) {
    this.records.push(r);
  }
  async byRemediation(id: string) {
    return this.records.filter((r) => r.remediationId === id);
  }
}

/** JSON lines in a local file: the audit trail of the CLI and the demo. */
export class FileAuditStore implements AuditStore {
  constructor(readonly path: string) {}
  async record(r: AuditRecord) {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(r)}\n`, 'utf8');
  }
  async byRemediation(id: string) {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditRecord)
      .filter((r) => r.remediationId === id);
  }
}
