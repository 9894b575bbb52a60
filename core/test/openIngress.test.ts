import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  awsRefs,
  type FirewallPosture,
  type IngressChange,
  type IngressRule,
  isOpenSource,
  openIngress,
  type PortRange,
  parsePolicy,
  type Source,
} from '../src/index.js';

const ref = awsRefs.securityGroup('sg-0123456789abcdef0', '123456789012', 'us-east-1');
const policy = parsePolicy(`
version: 1
allow:
  publicIngress:
    - { match: "*sg-0123456789abcdef0", ports: [443], protocol: tcp }
`);
const rule = (id: string, extra: Partial<IngressRule>): IngressRule => ({
  id,
  direction: 'inbound',
  access: 'allow',
  protocol: 'tcp',
  ports: [{ from: 22, to: 22 }],
  sources: [{ kind: 'cidr', value: '0.0.0.0/0' }],
  ...extra,
});
const posture = (rules: IngressRule[], name = ref): FirewallPosture => ({
  kind: 'firewall',
  ref: name,
  rules,
  tags: {},
});
const changesOf = (p: FirewallPosture): IngressChange[] => {
  const f = openIngress.evaluate(p, policy);
  const fix = f?.fixes[0];
  return fix?.type === 'revoke-ingress' ? fix.changes : [];
};

describe('openIngress', () => {
  it('removes only the world-open rules of the issue example', () => {
    const rules = [
      rule('sgr-ssh', {}),
      rule('sgr-rdp', { ports: [{ from: 3389, to: 3389 }], sources: [{ kind: 'cidr', value: '::/0' }] }),
      rule('sgr-pg', { ports: [{ from: 5432, to: 5432 }], sources: [{ kind: 'cidr', value: '10.0.0.0/8' }] }),
      rule('sgr-ref', {
        ports: [],
        protocol: 'all',
        sources: [{ kind: 'security-group', value: 'sg-0aaaaaaaaaaaaaaaa' }],
      }),
      rule('sgr-pl', { sources: [{ kind: 'prefix-list', value: 'pl-12345678' }] }),
      rule('sgr-out', { direction: 'outbound', protocol: 'all', ports: [] }),
    ];
    const f = openIngress.evaluate(
      posture(rules, awsRefs.securityGroup('sg-0bbbbbbbbbbbbbbbb', '123456789012', 'us-east-1')),
      policy,
    );
    expect(f?.severity).toBe('critical');
    const fix = f?.fixes[0];
    expect(fix?.type).toBe('revoke-ingress');
    expect(fix?.type === 'revoke-ingress' && fix.changes.map((c) => [c.before.id, c.after])).toEqual([
      ['sgr-ssh', []],
      ['sgr-rdp', []],
    ]);
  });

  it('keeps an allow-listed 443 on a public-facing group, and narrows a wider rule to exactly 443', () => {
    const rules = [
      rule('sgr-https', { ports: [{ from: 443, to: 443 }] }),
      rule('sgr-all', { protocol: 'all', ports: [] }),
      rule('sgr-range', { ports: [{ from: 80, to: 8080 }] }),
    ];
    const changes = changesOf(posture(rules));
    expect(changes.map((c) => c.before.id)).toEqual(['sgr-all', 'sgr-range']);
    expect(changes[0]!.after).toEqual([{ ...rules[1], protocol: 'tcp', ports: [{ from: 443, to: 443 }] }]);
    expect(changes[1]!.after).toEqual([{ ...rules[2], ports: [{ from: 443, to: 443 }] }]);
  });

  it('on NSGs: Internet, *, Any are open; Deny rules and other service tags are never touched', () => {
    const nsg = posture([
      rule('rdp', {
        ports: [{ from: 3389, to: 3389 }],
        sources: [{ kind: 'service-tag', value: 'Internet' }],
        priority: 100,
      }),
      rule('ssh', { sources: [{ kind: 'any', value: '*' }], priority: 110 }),
      rule('deny-all', {
        access: 'deny',
        protocol: 'all',
        ports: [],
        sources: [{ kind: 'any', value: '*' }],
        priority: 4000,
      }),
      rule('lb', { sources: [{ kind: 'service-tag', value: 'AzureLoadBalancer' }], priority: 120 }),
    ]);
    expect(changesOf(nsg).map((c) => c.before.id)).toEqual(['rdp', 'ssh']);
  });

  it('takes only the open prefixes out of a multi-prefix rule', () => {
    const multi = rule('mixed', {
      sources: [
        { kind: 'cidr', value: '10.0.0.0/8' },
        { kind: 'cidr', value: '0.0.0.0/0' },
        { kind: 'cidr', value: '192.168.1.0/24' },
      ],
    });
    const [change] = changesOf(posture([multi]));
    expect(change!.after).toEqual([{ ...multi, sources: [multi.sources[0], multi.sources[2]] }]);
  });

  it('treats scrubbed x.x.x.x/0 as the world and honours the CIDR allow-list and openPrefixAtMost', () => {
    expect(isOpenSource({ kind: 'cidr', value: 'x.x.x.x/0' }, policy)).toBe(true);
    expect(isOpenSource({ kind: 'cidr', value: '0.0.0.0/1' }, policy)).toBe(false);
    const strict = parsePolicy(
      'version: 1\nrules: { openIngress: { openPrefixAtMost: 4 } }\nallow: { cidrs: ["8.0.0.0/4"] }',
    );
    expect(isOpenSource({ kind: 'cidr', value: '0.0.0.0/1' }, strict)).toBe(true);
    expect(isOpenSource({ kind: 'cidr', value: '8.0.0.0/4' }, strict)).toBe(false);
  });

  // For any rule set: the fix removes exactly the open inbound Allow sources, and changes nothing else.
  const sourceArb: fc.Arbitrary<Source> = fc.oneof(
    fc.constantFrom<Source>(
      { kind: 'cidr', value: '0.0.0.0/0' },
      { kind: 'cidr', value: '::/0' },
      { kind: 'any', value: '*' },
      { kind: 'any', value: 'Any' },
      { kind: 'service-tag', value: 'Internet' },
      { kind: 'service-tag', value: 'VirtualNetwork' },
      { kind: 'prefix-list', value: 'pl-1234' },
      { kind: 'security-group', value: 'sg-0aaaaaaaaaaaaaaaa' },
    ),
    fc
      .tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 1, max: 32 }))
      .map(([a, n]): Source => ({ kind: 'cidr', value: `${a}.0.0.0/${n}` })),
  );
  const portsArb: fc.Arbitrary<PortRange[]> = fc.oneof(
    fc.constant<PortRange[]>([]),
    fc
      .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 2000 }))
      .map(([from, len]) => [{ from, to: Math.min(65535, from + len) }]),
  );
  const ruleArb = fc.record({
    id: fc.uuid(),
    direction: fc.constantFrom('inbound' as const, 'outbound' as const),
    access: fc.constantFrom('allow' as const, 'deny' as const),
    protocol: fc.constantFrom('tcp', 'udp', 'all', 'icmp'),
    ports: portsArb,
    sources: fc.array(sourceArb, { minLength: 1, maxLength: 4 }),
  });

  it('property: removes exactly the open sources and keeps everything else', () => {
    const plain = parsePolicy('version: 1');
    const open = (s: Source) => isOpenSource(s, plain);
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 12 }), (rules) => {
        const p = posture(rules);
        const f = openIngress.evaluate(p, plain);
        const changes = f?.fixes[0]?.type === 'revoke-ingress' ? f.fixes[0].changes : [];
        const changed = new Set(changes.map((c) => c.before));
        for (const r of rules) {
          const shouldChange = r.direction === 'inbound' && r.access === 'allow' && r.sources.some(open);
          expect(changed.has(r)).toBe(shouldChange);
        }
        for (const c of changes) {
          // No open source survives (no allow-listed ports in this policy), every other source does, unchanged.
          expect(c.after.flatMap((a) => a.sources).some(open)).toBe(false);
          const kept = c.before.sources.filter((s) => !open(s));
          expect(c.after.flatMap((a) => a.sources)).toEqual(kept);
          for (const a of c.after) expect({ ...a, sources: [] }).toEqual({ ...c.before, sources: [] });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: with allow-listed ports, open sources keep only those ports', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 8 }), (rules) => {
        for (const c of changesOf(posture(rules))) {
          for (const a of c.after) {
            if (!a.sources.some((s) => isOpenSource(s, policy))) continue;
            expect(a.protocol).toBe('tcp');
            expect(a.ports).toEqual([{ from: 443, to: 443 }]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
