import type { AuditRecord, AuditSink, AuditStore } from '@reflex/core';

export interface StructuredLog {
  info(message: string, extra: Record<string, unknown>): void;
}

/** Audit records as structured log lines (CloudWatch Logs keeps them): the trail when no audit table is configured. */
export class LogAuditSink implements AuditSink {
  constructor(private readonly log: StructuredLog) {}

  async record(record: AuditRecord): Promise<void> {
    this.log.info('reflex.audit', { audit: record });
  }
}

/** A readable audit store (DynamoDB) whose records are also logged, so CloudWatch Logs shows them next to the report. */
export class LoggedAuditStore implements AuditStore {
  constructor(
    private readonly log: StructuredLog,
    private readonly store: AuditStore,
  ) {}

  async record(record: AuditRecord): Promise<void> {
    this.log.info('reflex.audit', { audit: record });
    await this.store.record(record);
  }

  byRemediation(remediationId: string): Promise<AuditRecord[]> {
    return this.store.byRemediation(remediationId);
  }
}
