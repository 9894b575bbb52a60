import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { PolicyError } from '../errors.js';
import { type Policy, PolicySchema } from './schema.js';

/** Parses a YAML or JSON policy; throws one PolicyError that lists every problem with its path. */
export function parsePolicy(text: string, source = 'policy'): Policy {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      doc.errors.map((e) => `line ${(e.linePos?.[0].line ?? 0).toString()}: ${e.message.split('\n')[0]}`),
      source,
    );
  }
  let raw: unknown;
  try {
    // Resolving aliases happens here: an unknown anchor (`*x`) or an alias bomb throws, and is the file's fault.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PolicyError([`(root): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`], source);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PolicyError(['(root): expected a mapping with at least `version: 1`'], source);
  }
  const parsed = PolicySchema.safeParse(raw);
  if (!parsed.success) throw new PolicyError(parsed.error.issues.map(describeIssue), source);
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  switch (issue.code) {
    case 'invalid_value':
      return `${path}: expected one of ${issue.values.map(String).join('|')}`;
    case 'unrecognized_keys':
      return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    case 'invalid_type':
      return `${path}: expected ${issue.expected}`;
    default:
      return `${path}: ${issue.message}`;
  }
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError([`cannot read ${path}: ${(err as Error).message}`], path);
  }
  return parsePolicy(text, path);
}

/** The policy when none is given: every rule in dry-run. */
export function defaultPolicy(): Policy {
  return PolicySchema.parse({ version: 1 });
}

const ON = /^(1|true|on|yes)$/i;

/**
 * Reads the policy from the environment: `REFLEX_POLICY` (inline YAML/JSON) or `REFLEX_POLICY_FILE`,
 * then applies `REFLEX_KILL_SWITCH`. Without either, the default (dry-run) policy.
 */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): Policy {
  let policy: Policy;
  if (env.REFLEX_POLICY) policy = parsePolicy(env.REFLEX_POLICY, 'REFLEX_POLICY');
  else if (env.REFLEX_POLICY_FILE) policy = loadPolicyFile(env.REFLEX_POLICY_FILE);
  else policy = defaultPolicy();
  if (ON.test(env.REFLEX_KILL_SWITCH ?? '')) policy = { ...policy, killSwitch: true };
  return policy;
}
