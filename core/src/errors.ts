import { bounded } from './logText.js';

/** Every error Reflex raises on bad input is a ReflexError with a stable `code`, so callers can report it precisely. */
export class ReflexError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An ARN or ARM id that does not parse. */
export class MalformedResourceIdError extends ReflexError {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super('MalformedResourceId', `malformed resource id ${bounded(JSON.stringify(input), 200)}: ${reason}`);
  }
}

/** A policy file that is not valid; `problems` lists every issue with its path. */
export class PolicyError extends ReflexError {
  constructor(
    readonly problems: string[],
    source = 'policy',
  ) {
    super('InvalidPolicy', `invalid ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** An event whose shape we cannot use (missing ids, unknown source, malformed JSON). */
export class EventParseError extends ReflexError {
  constructor(message: string) {
    super('MalformedEvent', message);
  }
}

/** A resource type or action Reflex does not handle. */
export class UnsupportedResourceError extends ReflexError {
  constructor(message: string) {
    super('UnsupportedResource', message);
  }
}

/** An error as text for a reason or a log line: bounded, and never a throw (`String` of some objects throws). */
export function errorMessage(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? err.message : String(err);
  } catch {
    text = Object.prototype.toString.call(err);
  }
  return bounded(text);
}
