import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  awsRefs,
  type FirewallPosture,
  type IngressChange,
  type IngressRule,
  isOpenSource,
  openIngress,
  openSources,
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
    // Issue 18 item 9: half the internet is open by default (this assertion said the opposite, the defect).
    expect(isOpenSource({ kind: 'cidr', value: '0.0.0.0/1' }, policy)).toBe(true);
    expect(isOpenSource({ kind: 'cidr', value: '0.0.0.0/9' }, policy)).toBe(false);
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
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 12 }), (rules) => {
        const openSet = openSources(rules, plain);
        const open = (s: Source) => openSet.has(s);
        for (const r of rules.filter((x) => x.direction === 'inbound' && x.access === 'allow'))
          for (const s of r.sources) if (isOpenSource(s, plain)) expect(open(s)).toBe(true);
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

describe('openIngress: how much of the public internet the sources reach together (issue 18, item 9)', () => {
  const plain = parsePolicy('version: 1');
  const cidr = (value: string): Source => ({ kind: 'cidr', value });
  const ssh = (id: string, value: string, extra: Partial<IngressRule> = {}) =>
    rule(id, { sources: [cidr(value)], ...extra });
  const removed = (rules: IngressRule[], p = plain) => {
    const f = openIngress.evaluate(posture(rules), p);
    const fix = f?.fixes[0];
    return fix?.type === 'revoke-ingress' ? fix.changes.map((c) => [c.before.id, c.after.length]) : [];
  };

  it('the world split in two, IPv4 and IPv6, on port 22: every half goes', () => {
    expect(removed([ssh('a', '0.0.0.0/1'), ssh('b', '128.0.0.0/1')])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(removed([ssh('a', '::/1'), ssh('b', '8000::/1')])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
  });

  it('private, CGNAT, ULA, link-local and loopback ranges are never public, however wide or however low the knob', () => {
    const strict = parsePolicy('version: 1\nrules: { openIngress: { openShare: 0.000001, openPrefixAtMost: 32 } }');
    const inside = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'];
    const inside6 = ['fc00::/7', 'fe80::/10', '::1/128'];
    const rules = [...inside, ...inside6].map((v, i) => ssh(`r${i}`, v));
    expect(removed(rules, strict)).toEqual([]);
    for (const v of [...inside, ...inside6]) expect(isOpenSource(cidr(v), strict)).toBe(false);
    // The knob still counts the public part of a wide range: 0.0.0.0/4 reaches public space beyond 0/8 and 10/8.
    expect(isOpenSource(cidr('0.0.0.0/4'), strict)).toBe(true);
  });

  it('many narrow public ranges add up per port: five /9s on port 22 are open, the same five on five ports are not', () => {
    const nines = ['11.0.0.0/9', '11.128.0.0/9', '12.0.0.0/9', '12.128.0.0/9', '13.0.0.0/9'];
    expect(removed(nines.map((v, i) => ssh(`n${i}`, v))).map(([id]) => id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    const spread = nines.map((v, i) => ssh(`n${i}`, v, { ports: [{ from: 8000 + i, to: 8000 + i }] }));
    expect(removed(spread)).toEqual([]);
    // Port ranges that overlap on 8004 bring them together there: all of them go.
    const overlapping = nines.map((v, i) => ssh(`n${i}`, v, { ports: [{ from: 8000 + i, to: 8010 }] }));
    expect(removed(overlapping).length).toBe(5);
    // Another protocol is another rule set: UDP halves do not join TCP halves; an all-traffic rule joins both.
    expect(removed([ssh('t', '0.0.0.0/2'), ssh('u', '64.0.0.0/2', { protocol: 'udp' })]).length).toBe(2);
    const halves = ['11.0.0.0/9', '11.128.0.0/9', '12.0.0.0/9', '12.128.0.0/9'];
    const tcp = halves.map((v, i) => ssh(`t${i}`, v));
    const udp = halves.map((v, i) => ssh(`u${i}`, v.replace(/^1/, '2'), { protocol: 'udp' }));
    expect(removed([...tcp, ...udp])).toEqual([]);
    const all = ssh('all', '31.0.0.0/9', { protocol: 'all', ports: [] });
    expect(removed([...tcp, ...udp, all]).map(([id]) => id)).toEqual([
      't0',
      't1',
      't2',
      't3',
      'u0',
      'u1',
      'u2',
      'u3',
      'all',
    ]);
  });

  it('a multi-prefix rule loses only its public wide prefixes; the CIDR allow-list keeps a wide source', () => {
    const mixed = rule('mixed', { sources: [cidr('10.0.0.0/8'), cidr('0.0.0.0/1'), cidr('198.51.100.7/32')] });
    const half = ssh('half', '128.0.0.0/1');
    const [first] = changesOf(posture([mixed, half]));
    expect(first!.after).toEqual([{ ...mixed, sources: [cidr('10.0.0.0/8'), cidr('198.51.100.7/32')] }]);
    const allowHalf = parsePolicy('version: 1\nallow: { cidrs: ["128.0.0.0/1", "0.0.0.0/1"] }');
    expect(removed([mixed, half], allowHalf)).toEqual([]);
  });

  it('an allow-listed public port keeps the split world, narrowed to exactly that port', () => {
    const a = rule('a', { protocol: 'all', ports: [], sources: [cidr('0.0.0.0/1')] });
    const b = rule('b', { ports: [{ from: 1, to: 1024 }], sources: [cidr('128.0.0.0/1')] });
    const changes = changesOf(posture([a, b]));
    expect(changes.map((c) => c.after)).toEqual([
      [{ ...a, protocol: 'tcp', ports: [{ from: 443, to: 443 }] }],
      [{ ...b, ports: [{ from: 443, to: 443 }] }],
    ]);
  });

  it('property: after the fix, no port is reachable from the policy share of the public internet', () => {
    const wide: fc.Arbitrary<Source> = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 12 }), fc.boolean())
      .map(([a, n, v6]) =>
        cidr(v6 ? `${a.toString(16).padStart(2, '0')}00::/${n}` : `${a}.0.0.0/${Math.min(n + 1, 12)}`),
      );
    const arb = fc.array(
      fc.record({
        id: fc.uuid(),
        direction: fc.constant('inbound' as const),
        access: fc.constant('allow' as const),
        protocol: fc.constantFrom('tcp', 'udp', 'all'),
        ports: fc.oneof(
          fc.constant<PortRange[]>([]),
          fc.integer({ min: 20, max: 30 }).map((from) => [{ from, to: from + 3 }]),
        ),
        sources: fc.array(wide, { minLength: 1, maxLength: 3 }),
      }),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(arb, (rules) => {
        const f = openIngress.evaluate(posture(rules), plain);
        const changes = f?.fixes[0]?.type === 'revoke-ingress' ? f.fixes[0].changes : [];
        const byRule = new Map(changes.map((c) => [c.before, c.after]));
        const after = rules.flatMap((r) => byRule.get(r) ?? [r]);
        expect(openIngress.evaluate(posture(after), plain)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
