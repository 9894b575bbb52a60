import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyError, parsePolicy, policyFromEnv, policyJsonSchema, ruleMode } from '../src/index.js';

const EXAMPLE = `
version: 1
mode: enforce                  # default for every rule; when absent: dry-run
rules:
  openIngress: { mode: enforce }
  unencryptedStorage: { mode: dry-run }
  storageWithoutLogging:
    mode: enforce
    aws: { targetBucket: central-access-logs }
    azure: { workspaceId: /subscriptions/<sub>/resourceGroups/logs/providers/Microsoft.OperationalInsights/workspaces/central }
identities:                    # the bot's own principals: their changes never trigger the bot
  aws: [arn:aws:iam::123456789012:role/reflex-remediator]
  azure: [11111111-2222-3333-4444-555555555555]
`;

describe('policy', () => {
  it('accepts the documented example and means what it says', () => {
    const p = parsePolicy(EXAMPLE);
    expect(ruleMode(p, 'openIngress')).toBe('enforce');
    expect(ruleMode(p, 'unencryptedStorage')).toBe('dry-run');
    expect(ruleMode(p, 'publicStorage')).toBe('enforce'); // from the top-level mode
    expect(p.rules.storageWithoutLogging?.aws?.targetBucket).toBe('central-access-logs');
    expect(p.identities.aws).toEqual(['arn:aws:iam::123456789012:role/reflex-remediator']);
  });

  it('defaults every rule to dry-run', () => {
    const p = parsePolicy('version: 1');
    expect(ruleMode(p, 'openIngress')).toBe('dry-run');
    expect(ruleMode(p, 'publicStorage')).toBe('dry-run');
  });

  it('reads JSON as well as YAML', () => {
    expect(ruleMode(parsePolicy('{"version":1,"mode":"off"}'), 'openIngress')).toBe('off');
  });

  it('lists every problem with its path in one error', () => {
    const bad = `
version: 1
rules:
  openIngress: { mode: enforced }
  publicStorage: { mode: enforce, colour: red }
blastRadius: { limit: -1 }
allow:
  publicIngress:
    - { match: "sg-*", ports: ["http"] }
`;
    let error: unknown;
    try {
      parsePolicy(bad, 'policy.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const problems = (error as PolicyError).problems;
    expect(problems).toContain('rules.openIngress.mode: expected one of enforce|dry-run|off');
    expect(problems).toContain('rules.publicStorage: unknown key colour');
    expect(problems.some((p) => p.startsWith('blastRadius.limit:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('allow.publicIngress.0.ports.0:'))).toBe(true);
    expect((error as PolicyError).message).toMatch(/^invalid policy.yaml:/);
  });

  it('an alias to no anchor, or an alias bomb, is a PolicyError and not a crash', () => {
    expect(() => parsePolicy('version: 1\nmode: *nowhere', 'reflex.yaml')).toThrow(
      /invalid reflex\.yaml:[\s\S]*nowhere/,
    );
    const levels = 'abcdefgh'.split('');
    const bomb = [
      'version: 1',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...levels.slice(1).map((c, i) => `${c}: &${c} [${Array(10).fill(`*${levels[i]}`).join(', ')}]`),
    ].join('\n');
    expect(() => parsePolicy(bomb)).toThrow(PolicyError);
  });

  it('rejects a rule name it does not know, YAML syntax errors and a missing version', () => {
    expect(() => parsePolicy('version: 1\nrules: { openIngres: { mode: enforce } }')).toThrow(/unknown key openIngres/);
    expect(() => parsePolicy('version: 1\nrules: [')).toThrow(PolicyError);
    expect(() => parsePolicy('mode: enforce')).toThrow(/version/);
    expect(() => parsePolicy('')).toThrow(/expected a mapping/);
  });

  it('turns every rule to dry-run with the kill switch, from the policy or the environment', () => {
    expect(ruleMode(parsePolicy('version: 1\nmode: enforce\nkillSwitch: true'), 'openIngress')).toBe('dry-run');
    const fromEnv = policyFromEnv({ REFLEX_POLICY: 'version: 1\nmode: enforce', REFLEX_KILL_SWITCH: 'on' });
    expect(ruleMode(fromEnv, 'publicStorage')).toBe('dry-run');
    // off stays off: the kill switch only stops enforcement.
    expect(ruleMode(parsePolicy('version: 1\nmode: off\nkillSwitch: true'), 'openIngress')).toBe('off');
  });

  it('reads REFLEX_POLICY_FILE and reports an unreadable file', () => {
    expect(() => policyFromEnv({ REFLEX_POLICY_FILE: '/nonexistent/policy.yaml' })).toThrow(/cannot read/);
    expect(ruleMode(policyFromEnv({}), 'openIngress')).toBe('dry-run');
  });

  it('publishes a JSON Schema file that matches the schema in code', () => {
    const published = JSON.parse(readFileSync(new URL('../policy.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(policyJsonSchema());
    expect(published.properties.mode.enum).toEqual(['enforce', 'dry-run', 'off']);
  });
});
