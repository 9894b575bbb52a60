import type { PortRange } from '../model/index.js';

export const ALL_PORTS: PortRange = { from: 0, to: 65535 };

/** A rule's ports: an empty list on a rule means all ports. */
export function rulePorts(ranges: readonly PortRange[]): PortRange[] {
  return ranges.length === 0 ? [ALL_PORTS] : [...ranges];
}

/** Sorted, merged ranges. */
export function normalise(ranges: readonly PortRange[]): PortRange[] {
  const list = [...ranges].sort((a, b) => a.from - b.from);
  const out: PortRange[] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

export function intersect(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const x of normalise(a)) {
    for (const y of normalise(b)) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ from, to });
    }
  }
  return normalise(out);
}

export function covers(ranges: readonly PortRange[], port: number): boolean {
  return normalise(ranges).some((r) => r.from <= port && port <= r.to);
}

/** Compares two rules' ports (empty = all). */
export function sameRanges(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  return JSON.stringify(normalise(rulePorts(a))) === JSON.stringify(normalise(rulePorts(b)));
}

/** `443` or `"8000-8080"` → a range. */
export function parsePortSpec(spec: number | string): PortRange {
  if (typeof spec === 'number') return { from: spec, to: spec };
  const [from, to = from] = spec.split('-').map(Number);
  return { from: from!, to: to! };
}

export function formatRanges(ranges: readonly PortRange[]): string {
  if (ranges.length === 0) return 'all ports';
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}
