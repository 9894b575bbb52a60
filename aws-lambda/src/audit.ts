import type { AuditRecord, AuditSink } from '@reflex/core';

export interface StructuredLog {
  info(message: string, extra: Record<string, unknown>): void;
}

/** Audit records as structured log lines (CloudWatch Logs keeps them) until a DynamoDB store takes over. */
export class LogAuditSink implements AuditSink {
  constructor(private readonly log: StructuredLog) {}

  async record(record: AuditRecord): Promise<void> {
    this.log.info('reflex.audit', { audit: record });
  }
}
