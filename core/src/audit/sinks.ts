import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecord } from '../model/index.js';

/**
 * Every step is recorded with its before and after, so it can be undone and explained. A step has one record,
 * written before the write (`intended`) and replaced when the write is done (`applied` / `failed`), and a second
 * one once undone (`undone`): `record` replaces the record of the same step and phase (see `auditKey`).
 */
export interface AuditSink {
  record(record: AuditRecord): Promise<void>;
}

/** An audit store that can also be read back, for undo. */
export interface AuditStore extends AuditSink {
  /** The latest record of each step and phase, oldest step first. */
  byRemediation(remediationId: string): Promise<AuditRecord[]>;
}

/** A step's record before undo (`step`: intended, applied, failed) and after it (`undo`). */
export function auditPhase(r: Pick<AuditRecord, 'status'>): 'step' | 'undo' {
  return r.status === 'undone' ? 'undo' : 'step';
}

/** What a record replaces: the record of the same step in the same phase. */
export function auditKey(r: Pick<AuditRecord, 'remediationId' | 'stepId' | 'status'>): string {
  return `${r.remediationId}\u0000${r.stepId}\u0000${auditPhase(r)}`;
}

/** Records as written, in order → the latest of each step and phase, in the order they were first written. */
export function latestAuditRecords(records: AuditRecord[]): AuditRecord[] {
  const latest = new Map<string, AuditRecord>();
  for (const r of records) latest.set(auditKey(r), r);
  return [...latest.values()];
}

export class MemoryAuditStore implements AuditStore {
  readonly records: AuditRecord[] = [];
  async record(r: AuditRecord) {
    const i = this.records.findIndex((x) => auditKey(x) === auditKey(r));
    if (i >= 0) this.records[i] = r;
    else this.records.push(r);
  }
  async byRemediation(id: string) {
    return this.records.filter((r) => r.remediationId === id);
  }
}

/** JSON lines in a local file, appended (a step's later record supersedes its earlier one on reading). */
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
    return latestAuditRecords(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditRecord)
        .filter((r) => r.remediationId === id),
    );
  }
}
