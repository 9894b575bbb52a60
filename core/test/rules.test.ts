import { describe, expect, it } from 'vitest';
import { type AuditRecord, type Fix, RULE_NAMES, RULES, RulesSchema, summarizeFix, undoOrder } from '../src/index.js';

describe('the rule registry', () => {
  it('each rule is its own file, named from the rule, exporting it under its name', async () => {
    for (const rule of RULES) {
      const mod = (await import(`../src/rules/${rule.name}.ts`)) as Record<string, unknown>;
      expect([rule.name, mod[rule.name]]).toEqual([rule.name, rule]);
    }
  });

  it("RULE_NAMES and the policy's rules section are the registry's, in its order, each rule's own schema", () => {
    expect(RULE_NAMES).toEqual(RULES.map((r) => r.name));
    expect(Object.keys(RulesSchema.shape)).toEqual([...RULE_NAMES]);
    for (const rule of RULES) expect(RulesSchema.shape[rule.name].unwrap()).toBe(rule.config);
  });

  it("every fix reads as its rule's file says, word for word as before the split", () => {
    const before = {
      id: 'sgr-1',
      direction: 'inbound',
      access: 'allow',
      protocol: 'tcp',
      ports: [{ from: 22, to: 22 }],
    };
    const open = { ...before, sources: [{ kind: 'cidr', value: '0.0.0.0/0' }] };
    const cases: [Fix, string][] = [
      [
        { type: 'block-public-access', block: { blockPublicAcls: true } as never, scope: 'account' },
        'turn on all four Block Public Access flags (account)',
      ],
      [
        {
          type: 'remove-public-grants',
          grants: [
            { granteeType: 'Group', grantee: 'http://acs.amazonaws.com/groups/global/AllUsers', permission: 'READ' },
          ],
        },
        'remove public ACL grants: READ to AllUsers',
      ],
      [
        { type: 'remove-public-statements', statements: [{ Effect: 'Allow' }], remaining: [] },
        'remove 1 public policy statement(s), keep 0',
      ],
      [{ type: 'disallow-public-containers' }, 'set allowBlobPublicAccess=false'],
      [
        { type: 'set-container-access', containers: [{ name: 'c1', id: 'x', from: 'Blob' }] },
        'set container access to None: c1',
      ],
      [
        { type: 'revoke-ingress', changes: [{ before: open as never, after: [] }] },
        'revoke sgr-1: allow tcp 22 from 0.0.0.0/0',
      ],
      [
        { type: 'enable-encryption', algorithm: 'aws:kms', keyId: 'k1' },
        'enable default encryption aws:kms with key k1',
      ],
      [{ type: 'enable-logging', target: 'logs', prefix: 'b/' }, 'enable access logging to logs (prefix b/)'],
      [{ type: 'require-secure-transport', minimumTls: 'TLS1_2' }, 'require HTTPS and TLS1_2'],
      [{ type: 'start-trail-logging' }, 'start CloudTrail logging'],
      [
        { type: 'enable-flow-logs', destination: 'arn:aws:s3:::logs', trafficType: 'ALL' },
        'create a flow log (ALL) to arn:aws:s3:::logs',
      ],
      [{ type: 'enable-ebs-default-encryption' }, 'turn on EBS encryption by default'],
      [{ type: 'isolate', quarantineGroup: 'sg-q' }, 'isolate with sg-q'],
    ];
    for (const [fix, line] of cases) expect([fix.type, summarizeFix(fix)]).toEqual([fix.type, line]);
  });

  it('the gates the rules declare are restored first by undo, on both clouds, whatever their step order', () => {
    const rec = (i: number, type: Fix['type']) => ({ stepId: `rem-1.${i}`, fix: { type } }) as AuditRecord;
    const order = (types: Fix['type'][]) => undoOrder(types.map((t, i) => rec(i + 1, t))).map((r) => r.fix.type);
    expect(order(['set-container-access', 'disallow-public-containers', 'require-secure-transport'])).toEqual([
      'disallow-public-containers',
      'require-secure-transport',
      'set-container-access',
    ]);
    expect(order(['remove-public-statements', 'block-public-access'])).toEqual([
      'block-public-access',
      'remove-public-statements',
    ]);
  });
});
