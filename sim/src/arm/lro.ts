import { randomUUID } from 'node:crypto';

/**
 * Long-running operations. The state change is committed when the request arrives (so a
 * "read, then act" client sees it at once); only the operation's *status* lags, reporting
 * `InProgress` for `polls` polls before `Succeeded`, which is what exercises the SDK's pollers.
 */
export interface LongRunningOperation {
  id: string;
  /** Polls left that still answer InProgress. */
  remaining: number;
  /** Where the final result is read: the resource for PUT, nothing for DELETE. */
  resourceId?: string;
  /** Status to answer on the Location URL when done. */
  doneStatus: 200 | 204;
  startTime: string;
}

export class Operations {
  private readonly ops = new Map<string, LongRunningOperation>();

  constructor(public polls: number) {}

  start(resourceId: string | undefined, doneStatus: 200 | 204): LongRunningOperation {
    const op: LongRunningOperation = {
      id: randomUUID(),
      remaining: this.polls,
      resourceId,
      doneStatus,
      startTime: new Date().toISOString(),
    };
    this.ops.set(op.id, op);
    return op;
  }

  /** Advances the operation by one poll; returns undefined for an unknown id. */
  poll(id: string): { op: LongRunningOperation; done: boolean } | undefined {
    const op = this.ops.get(id.toLowerCase()) ?? this.ops.get(id);
    if (!op) return undefined;
    if (op.remaining > 0) {
      op.remaining--;
      return { op, done: false };
    }
    return { op, done: true };
  }

  reset(): void {
    this.ops.clear();
  }
}

/** Polling URL shapes as Azure hands them out (subscription-scoped, per provider and location). */
export function asyncOperationPath(subscriptionId: string, provider: string, location: string, id: string): string {
  return `/subscriptions/${subscriptionId}/providers/${provider}/locations/${location}/operations/${id}`;
}

export function locationPath(subscriptionId: string, provider: string, location: string, id: string): string {
  return `/subscriptions/${subscriptionId}/providers/${provider}/locations/${location}/operationResults/${id}`;
}

export const POLL_PATH =
  /^\/subscriptions\/[^/]+\/providers\/[^/]+\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/i;
