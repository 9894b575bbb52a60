/** The table on stdout, BENCHMARKS.md and the SVG chart. */
import { cpus, freemem, release, totalmem, type } from 'node:os';
import type { ColdResult } from './cold.js';
import type { ScenarioResult } from './scenario.js';
import { linearFit } from './stats.js';
import type { SweepRun } from './sweep.js';

export const TARGETS = {
  ratio: 1.25,
  overheadP50: 2,
  overheadP99: 10,
  depth: 3,
  bundleBytes: 1_000_000,
  initMs: 100,
  sweepShare: 0.8,
  r2: 0.98,
  perDoubling: 2.2,
};

export interface Check {
  what: string;
  value: string;
  target: string;
  pass: boolean;
}

export interface Results {
  quick: boolean;
  started: Date;
  totalSeconds: number;
  motoVersion: string;
  warm: ScenarioResult[];
  cold?: { bareMs: number; results: ColdResult[] };
  sweeps: SweepRun[];
  notes: string[];
  /** The fixed CPU work of calibrate.ts, in ms, at the start and at the end of the run. */
  calibrationMs?: { start: number; end: number };
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

export function checks(r: Results): Check[] {
  const out: Check[] = [];
  for (const s of r.warm) {
    const id = `${s.cloud} ${s.name}`;
    out.push({
      what: `${id}: ratio p50`,
      // With what the calls alone would give, so a miss says whether the bot or the backend's queue is the gap.
      value: `${f(s.ratioP50, 2)} (calls alone ${f(s.callsAloneP50, 2)}${s.backendFloor === undefined ? '' : `, backend floor ${f(s.backendFloor, 2)}`})`,
      target: `≤ ${TARGETS.ratio}`,
      pass: s.ratioP50 <= TARGETS.ratio,
    });
    out.push({
      what: `${id}: own overhead p50`,
      value: `${f(s.overheadP50, 2)} ms`,
      target: `≤ ${TARGETS.overheadP50} ms`,
      pass: s.overheadP50 <= TARGETS.overheadP50,
    });
    out.push({
      what: `${id}: own overhead p99`,
      value: `${f(s.overheadP99, 2)} ms`,
      target: `≤ ${TARGETS.overheadP99} ms`,
      pass: s.overheadP99 <= TARGETS.overheadP99,
    });
    out.push({
      what: `${id}: critical-path depth`,
      value: `${s.depth}${s.depthMax > s.depth ? ` (max ${s.depthMax})` : ''}`,
      target: `≤ ${TARGETS.depth}`,
      pass: s.depthMax <= TARGETS.depth,
    });
    out.push({
      what: `${id}: verified fix every run`,
      value: s.problems.length ? s.problems.join('; ').slice(0, 300) : 'yes',
      target: 'fixed, others compliant',
      pass: s.problems.length === 0,
    });
  }
  for (const c of r.cold?.results ?? []) {
    out.push({
      what: `${c.name}: size`,
      value: `${(c.bytes / 1e6).toFixed(2)} MB`,
      target: '≤ 1 MB',
      pass: c.bytes <= TARGETS.bundleBytes,
    });
    out.push({
      what: `${c.name}: init over bare node`,
      value: `${f(c.initMs)} ms`,
      target: `≤ ${TARGETS.initMs} ms`,
      pass: c.initMs <= TARGETS.initMs && c.problems.length === 0,
    });
  }
  for (const cloud of ['aws', 'azure'] as const) {
    const runs = r.sweeps.filter((s) => s.cloud === cloud && !s.throttleRate);
    const first = Math.min(...runs.map((s) => s.resources));
    for (const bot of runs.filter((s) => s.who === 'bot' && s.resources === first)) {
      const base = runs.find((s) => s.who === 'backend' && s.resources === first && s.concurrency === bot.concurrency);
      if (!base) continue;
      const share = bot.perSecond / base.perSecond;
      out.push({
        what: `${cloud} sweep n=${first} c=${bot.concurrency}: bot / backend throughput`,
        value: `${f(share * 100, 0)} % (${f(bot.perSecond, 0)} vs ${f(base.perSecond, 0)} /s)`,
        target: `≥ ${TARGETS.sweepShare * 100} %`,
        pass: share >= TARGETS.sweepShare,
      });
    }
    const growth = growthOf(r.sweeps, cloud);
    if (growth.points >= 3)
      out.push({
        what: `${cloud} sweep growth (time vs count, ${growth.points} points)`,
        value: `R² ${f(growth.r2, 3)}, ×${f(growth.perDoubling, 2)} per doubling`,
        target: `R² ≥ ${TARGETS.r2}, ≤ ×${TARGETS.perDoubling}`,
        pass: growth.r2 >= TARGETS.r2 && growth.perDoubling <= TARGETS.perDoubling,
      });
    else if (growth.points === 2)
      out.push({
        what: `${cloud} sweep growth (2 points only)`,
        value: `×${f(growth.perDoubling, 2)} per doubling`,
        target: `≤ ×${TARGETS.perDoubling}`,
        pass: growth.perDoubling <= TARGETS.perDoubling,
      });
    // Not measured because the sweep did not run (`--only`) is no verdict; not measured in a sweep is a miss.
    else if (runs.length > 0)
      out.push({
        what: `${cloud} sweep growth`,
        value: `not measured (${growth.points} count${growth.points === 1 ? '' : 's'} in this run)`,
        target: 'linear up to 10,000',
        pass: false,
      });
    for (const t of r.sweeps.filter((s) => s.cloud === cloud && s.throttleRate)) {
      // The same sweep unthrottled: the calls beyond its count are the retries.
      const calm = r.sweeps.find(
        (s) => s.cloud === cloud && s.who === 'bot' && !s.throttleRate && s.resources === t.resources,
      );
      const extra = calm ? `, ${t.calls} calls vs ${calm.calls} unthrottled` : '';
      out.push({
        what: `${cloud} sweep n=${t.resources} c=${t.concurrency} with ${t.throttleRate * 100} % throttling: no failed outcome`,
        value: `${t.failed} failed, ${t.retries} throttled answers retried${extra}, ${f(t.ms / 1000)} s`,
        target: '0 failed',
        pass: t.failed === 0,
      });
    }
  }
  return out;
}

export function growthOf(sweeps: SweepRun[], cloud: string) {
  const conc = 16;
  const pts = new Map<number, number>();
  for (const s of sweeps)
    if (s.cloud === cloud && s.who === 'bot' && !s.throttleRate && s.concurrency === conc && !s.via.includes('proxy'))
      pts.set(s.resources, s.ms);
  const xs = [...pts.keys()].sort((a, b) => a - b);
  const ys = xs.map((x) => pts.get(x)!);
  if (xs.length < 2) return { points: xs.length, r2: Number.NaN, perDoubling: Number.NaN, xs, ys };
  const fit = linearFit(xs, ys);
  // Time ratio per doubling of the count, from the two ends: (t_n / t_1)^(1 / log2(n / 1)).
  const perDoubling = (ys.at(-1)! / ys[0]!) ** (1 / Math.log2(xs.at(-1)! / xs[0]!));
  return { points: xs.length, r2: fit.r2, perDoubling, xs, ys };
}

export function machine(r: Results) {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at the end)`,
    node: process.version,
    os: `${type()} ${release()}`,
    date: r.started.toISOString(),
    moto: r.motoVersion,
  };
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [pad(head, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => pad(r, widths))].join(
    '\n',
  );
}

function md(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

function warmRows(r: Results): { head: string[]; rows: string[][] } {
  const head = [
    'cloud',
    'scenario',
    'n',
    'p50 ms',
    'p99 ms',
    'calls',
    'depth',
    'RTT ms (SDK / wire)',
    'ratio',
    'calls alone',
    'waves',
    'backend floor',
    'overhead p50/p99 ms',
    'beyond SDK p50 ms',
    'verdict',
  ];
  const rows = r.warm.map((s) => {
    const ok =
      s.ratioP50 <= TARGETS.ratio &&
      s.overheadP50 <= TARGETS.overheadP50 &&
      s.overheadP99 <= TARGETS.overheadP99 &&
      s.depthMax <= TARGETS.depth &&
      s.problems.length === 0;
    return [
      s.cloud,
      s.name,
      String(s.n),
      f(s.wallP50),
      f(s.wallP99),
      s.callsMax > s.calls ? `${s.calls} (max ${s.callsMax})` : String(s.calls),
      String(s.depth),
      `${f(s.rttMs, 2)} / ${f(s.rttWireMs, 2)}`,
      f(s.ratioP50, 2),
      f(s.callsAloneP50, 2),
      s.waves.join('+'),
      s.backendFloor === undefined ? '-' : f(s.backendFloor, 2),
      `${f(s.overheadP50, 2)} / ${f(s.overheadP99, 2)}`,
      s.beyondSdkP50 === undefined ? '-' : f(s.beyondSdkP50, 2),
      verdict(ok),
    ];
  });
  return { head, rows };
}

/** f(k) per backend and read, once each (scenarios of one kind share a measurement). */
function parallelRows(r: Results): { head: string[]; rows: string[][] } {
  const seen = new Map<string, { cloud: string; factor: number[] }>();
  for (const s of r.warm)
    if (s.parallelism) seen.set(`${s.cloud} ${s.parallelism.call}`, { cloud: s.cloud, factor: s.parallelism.factor });
  const maxK = Math.max(1, ...[...seen.values()].map((v) => v.factor.length - 1));
  const head = ['backend', 'read', ...Array.from({ length: maxK }, (_, i) => `k=${i + 1}`)];
  const rows = [...seen].map(([key, v]) => [
    v.cloud === 'aws' ? 'moto (through the proxy)' : 'ARM emulator',
    key.slice(v.cloud.length + 1),
    ...Array.from({ length: maxK }, (_, i) => (v.factor[i + 1] === undefined ? '-' : `${f(v.factor[i + 1]!, 2)} ×`)),
  ]);
  return { head, rows };
}

/** Which read each scenario's RTT was measured with, e.g. "aws public ACL: s3:GetBucketAcl". */
function rttCalls(r: Results): string {
  const byCall = new Map<string, string[]>();
  for (const s of r.warm) byCall.set(s.rttCall, [...(byCall.get(s.rttCall) ?? []), `${s.cloud} ${s.name}`]);
  return [...byCall].map(([call, names]) => `${names.join(', ')}: \`${call}\``).join('; ');
}

function coldRows(r: Results) {
  const head = [
    'bundle',
    'size (entry + chunks)',
    'built',
    'node+import ms',
    'init over bare ms',
    'import() ms',
    'verdict',
  ];
  const rows = (r.cold?.results ?? []).map((c) => [
    c.name,
    c.chunks
      ? `${(c.bytes / 1e6).toFixed(2)} MB (entry ${(c.entryBytes / 1e6).toFixed(2)} + ${c.chunks} chunks)`
      : `${(c.bytes / 1e6).toFixed(2)} MB`,
    c.builtAt.slice(0, 19).replace('T', ' '),
    f(c.wallMs),
    f(c.initMs),
    f(c.importMs),
    verdict(c.bytes <= TARGETS.bundleBytes && c.initMs <= TARGETS.initMs),
  ]);
  return { head, rows };
}

function sweepRows(r: Results) {
  const head = [
    'cloud',
    'who',
    'resources',
    'concurrency',
    'throttling',
    'seconds',
    'resources/s',
    'calls',
    'throttled (retried)',
    'failed',
    'via',
  ];
  const rows = r.sweeps.map((s) => [
    s.cloud,
    s.who,
    String(s.resources),
    String(s.concurrency),
    s.throttleRate ? `${s.throttleRate * 100} %` : '-',
    f(s.ms / 1000),
    f(s.perSecond, 0),
    String(s.calls),
    s.retries === undefined ? '-' : String(s.retries),
    String(s.failed),
    s.via,
  ]);
  return { head, rows };
}

export function printTable(r: Results): string {
  const w = warmRows(r);
  const c = coldRows(r);
  const s = sweepRows(r);
  const misses = checks(r).filter((x) => !x.pass);
  // A partial run (`--only`) prints the parts it measured.
  const section = (title: string, t: { head: string[]; rows: string[][] }) =>
    t.rows.length ? ['', title, table(t.head, t.rows)] : [];
  return [
    ...section('Event to verified fix (warm)', w),
    ...section('Reads sent at once: time over one read (bare HTTP, no SDK)', parallelRows(r)),
    ...section(`Cold start (bare node ${f(r.cold?.bareMs ?? Number.NaN)} ms)`, c),
    ...section('Sweep scale', s),
    '',
    misses.length ? `MISS (${misses.length}):` : 'every target met',
    ...misses.map((m) => `  MISS  ${m.what}: ${m.value} (target ${m.target})`),
    '',
  ].join('\n');
}

export function markdown(r: Results, chartPath: string): string {
  const m = machine(r);
  const w = warmRows(r);
  const parallel = parallelRows(r);
  const c = coldRows(r);
  const s = sweepRows(r);
  const all = checks(r);
  const misses = all.filter((x) => !x.pass);
  const chains = r.warm.map((x) => [x.cloud, x.name, x.chain.join(' → ')]);
  return `# Benchmarks

Generated by \`npm run bench${r.quick ? ' -- --quick' : ''}\` (test/bench/) — do not edit by hand; rerun it.${r.quick ? ' **This is a --quick run: fewer iterations, 1,000 resources only.**' : ''}

| machine | |
|---|---|
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${m.memory} |
| Node | ${m.node} |
| OS | ${m.os} |
| date | ${m.date} |
| moto | ${m.moto} |
| ARM emulator | @reflex/sim, \`validate: false\` (oav validation is test-time cost, not the bot's), LROs done at the first poll |
| run time | ${f(r.totalSeconds, 0)} s |
| CPU yardstick | ${r.calibrationMs ? `${f(r.calibrationMs.start)} ms at the start, ${f(r.calibrationMs.end)} ms at the end` : 'n/a'} (test/bench/calibrate.ts: the same fixed work in every run; compare runs by it, lower is faster) |

![latency per scenario and sweep throughput](${chartPath})

## Verdict

${misses.length === 0 ? 'Every target is met.' : `**${misses.length} target(s) missed.**`}

${md(
  ['figure', 'value', 'target', ''],
  all.map((x) => [x.what, x.value, x.target, verdict(x.pass)]),
)}

## 1. Event to verified fix, warm

The real handler (AWS: \`createEventsHandler\`, the EventBridge entry; Azure: \`reflexEvents\`, the Event Grid function),
in-process and warmed up, takes a real-format event (AWS: the CloudTrail fixtures in test/fixtures/events/aws; Azure: the
Event Grid event the emulator emitted for the misconfiguring write) for a resource re-seeded each run: compliant
baseline, then exactly one misconfiguration. Every run must end with the rule \`fixed\` (verified by the handler's re-read)
and every other rule it judged \`compliant\` (an event judges the rules its call can affect: a PutBucketAcl event
publicStorage, a storage account PATCH every rule but logging, which lives in a diagnostic setting of its own). Calls are counted from the backend's own log (AWS: the fault proxy in pass-through
mode, in its own process; Azure: the emulator's \`calls()\`, in its own process) and timed at the client (AWS: the SDK's
HTTP handler, until the body's last byte; Azure: a per-retry pipeline policy). Depth = the longest chain of calls
each starting after the previous one ended. RTT = the median of a single read of the scenario's kind of resource made
through the same client between runs (${rttCalls(r)}), SDK included; "wire" is the same
read timed where the calls are. ratio = p50 / (depth × RTT). "calls alone" (information) = the critical path's call time
/ (depth × wire RTT): the ratio a bot with no cost of its own would show with the same calls on this backend; where it
is above ${TARGETS.ratio}, the calls themselves (parallel reads served one after another, writes slower than a read)
miss the target before the bot adds anything. "waves": the calls of a typical run in the groups it sends together
(reads, writes, verifying reads). "backend floor" (information) = Σ over waves of f(calls in the wave) / depth, where
f(k) is the time this backend takes to answer k bare HTTP reads sent at once (no SDK, no bot) over one read's, measured
in the same run (table below): the ratio a client that costs nothing would show with these waves on this backend. Where
it is above ${TARGETS.ratio}, no bot making these calls can meet the target here. Own overhead =
handler wall time − the call time along the critical path (the chain of sequential calls with the most call time).
"beyond SDK" (AWS, information, not a target): the same with each call timed at \`client.send\` instead, so the AWS
SDK's own CPU per call (middleware, endpoint rules, SigV4, serialising and parsing) counts as the call's: what the
own overhead is made of besides the SDK.
The bot logs as in production (powertools JSON lines, built then dropped) and files tickets through the JSON-lines sink.

${md(w.head, w.rows)}

How the backends answer reads sent at once (bare HTTP, the same read as the RTT probe, medians, rounds interleaved):
a backend that serves in parallel stays near 1 × as k grows.

${md(parallel.head, parallel.rows)}

Deepest chain of a typical run:

${md(['cloud', 'scenario', 'sequential calls'], chains)}

## 2. Cold start

Each bundle as it is in dist/ (built by its owners; build time shown): size, and a fresh \`node --input-type=module -e
"await import(bundle)"\` minus a bare \`node -e ''\` (medians of ${r.cold?.results[0]?.runs ?? 0} interleaved runs; bare node ${f(r.cold?.bareMs ?? Number.NaN)} ms).
\`import() ms\` is the import alone, timed inside the process. 1 MB = 1,000,000 bytes; a build that splits code is
counted with every chunk it ships (\`chunks/\`), since all of it is deployed.

${md(c.head, c.rows)}

## 3. Sweep scale

AWS: moto seeded with half buckets, half security groups (concurrent creates); the events handler answers a scheduled
event in dry-run (list, read every resource, evaluate, ticket) with \`BotDeps.concurrency\` = the level shown. Azure: the
emulator seeded through \`seedResource\` with half storage accounts, half NSGs; the \`reflexSweep\` timer function runs at its
fixed \`SWEEP_CONCURRENCY\`, other levels drive its own parts (\`sweepTargets\` + \`handleTargets\`). "backend" = the same
listings and per-resource reads straight through the same SDK clients at the same concurrency, without the bot: what the
backend itself sustains (bot and backend runs interleaved, and the median of each compared: AWS three of each, as one run moves by ±15 % with the machine; Azure nine of each after a warm-up, as one lasts under a second). Throughput
runs talk to moto directly (no proxy hop); the throttling run goes through the fault
proxy (AWS) or the emulator's own faults (Azure) at 30 %. Growth is fitted on the bot's runs at concurrency 16; counts
whose projected time would break the run's time budget are skipped (the run says so).

${md(s.head, s.rows)}

${r.notes.length ? `## Notes\n\n${r.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
}

/** Two panels: p50/p99 per scenario (bars), and sweep throughput against count (lines). Hand-rolled SVG. */
export function svg(r: Results): string {
  const W = 960;
  const H = 760;
  const out: string[] = [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = (x: number, y: number, s: string, extra = '') =>
    out.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${esc(s)}</text>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push('<title>Reflex benchmarks: event-to-fix latency per scenario and sweep throughput</title>');
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  // Panel 1: latency per scenario.
  const p1 = { x: 220, y: 40, w: 680, h: 330 };
  text(
    20,
    24,
    'Event to verified fix, warm: p50 (bar; pale: its critical-path calls) and p99 (tick), ms — dashed: depth × RTT',
    'font-weight="bold"',
  );
  const max1 = Math.max(1, ...r.warm.map((s) => s.wallP99)) * 1.05;
  const rowH = p1.h / Math.max(1, r.warm.length);
  r.warm.forEach((s, i) => {
    const y = p1.y + i * rowH;
    const bw = (s.wallP50 / max1) * p1.w;
    const ok =
      s.ratioP50 <= TARGETS.ratio &&
      s.depthMax <= TARGETS.depth &&
      s.overheadP50 <= TARGETS.overheadP50 &&
      s.overheadP99 <= TARGETS.overheadP99 &&
      !s.problems.length;
    text(p1.x - 8, y + rowH * 0.6, `${s.cloud} ${s.name}`, 'text-anchor="end"');
    out.push(
      `<rect x="${p1.x}" y="${(y + rowH * 0.2).toFixed(1)}" width="${bw.toFixed(1)}" height="${(rowH * 0.6).toFixed(1)}" fill="${ok ? '#4c9f70' : '#d9534f'}"/>`,
    );
    // The pale part: the critical path's own call time, what the backend took; the rest of the bar is the bot's.
    const cw = (Math.min(s.criticalCallMsP50, s.wallP50) / max1) * p1.w;
    out.push(
      `<rect x="${p1.x}" y="${(y + rowH * 0.2).toFixed(1)}" width="${cw.toFixed(1)}" height="${(rowH * 0.6).toFixed(1)}" fill="white" fill-opacity="0.45"/>`,
    );
    const x99 = p1.x + (s.wallP99 / max1) * p1.w;
    out.push(
      `<line x1="${x99.toFixed(1)}" x2="${x99.toFixed(1)}" y1="${(y + rowH * 0.1).toFixed(1)}" y2="${(y + rowH * 0.9).toFixed(1)}" stroke="#333" stroke-width="2"/>`,
    );
    const floor = p1.x + ((s.depth * s.rttMs) / max1) * p1.w;
    out.push(
      `<line x1="${floor.toFixed(1)}" x2="${floor.toFixed(1)}" y1="${(y + rowH * 0.1).toFixed(1)}" y2="${(y + rowH * 0.9).toFixed(1)}" stroke="#1f5fa8" stroke-dasharray="3,2" stroke-width="2"/>`,
    );
    text(
      Math.min(x99 + 6, p1.x + p1.w - 90),
      y + rowH * 0.6,
      `${s.wallP50.toFixed(1)} / ${s.wallP99.toFixed(1)} · d${s.depth}`,
    );
  });
  out.push(`<line x1="${p1.x}" x2="${p1.x}" y1="${p1.y}" y2="${p1.y + p1.h}" stroke="#333"/>`);
  // Panel 2: sweep throughput vs count.
  const p2 = { x: 90, y: 440, w: 800, h: 260 };
  text(
    20,
    420,
    'Sweep throughput (resources/s) against resource count — bot (solid) vs backend alone (dashed)',
    'font-weight="bold"',
  );
  const pts = r.sweeps.filter((s) => !s.throttleRate);
  const maxX = Math.max(1000, ...pts.map((s) => s.resources));
  const maxY = Math.max(1, ...pts.map((s) => s.perSecond)) * 1.1;
  const X = (v: number) => p2.x + ((Math.log10(v) - 2.9) / (Math.log10(maxX) + 0.1 - 2.9)) * p2.w;
  const Y = (v: number) => p2.y + p2.h - (v / maxY) * p2.h;
  out.push(`<line x1="${p2.x}" x2="${p2.x + p2.w}" y1="${p2.y + p2.h}" y2="${p2.y + p2.h}" stroke="#333"/>`);
  out.push(`<line x1="${p2.x}" x2="${p2.x}" y1="${p2.y}" y2="${p2.y + p2.h}" stroke="#333"/>`);
  for (const v of [1000, 2500, 5000, 10000].filter((v) => v <= maxX)) {
    out.push(
      `<line x1="${X(v).toFixed(1)}" x2="${X(v).toFixed(1)}" y1="${p2.y + p2.h}" y2="${p2.y + p2.h + 5}" stroke="#333"/>`,
    );
    text(X(v), p2.y + p2.h + 18, v.toLocaleString('en-US'), 'text-anchor="middle"');
  }
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    text(p2.x - 6, Y(v) + 4, v.toFixed(0), 'text-anchor="end"');
  }
  text(p2.x + p2.w / 2, p2.y + p2.h + 36, 'resources (log scale)', 'text-anchor="middle"');
  const colours: Record<string, string> = {
    'aws-4': '#f0a030',
    'aws-16': '#d9534f',
    'aws-64': '#8b1a1a',
    'azure-4': '#7fb3e6',
    'azure-16': '#1f5fa8',
    'azure-64': '#0b2f5c',
  };
  const series = new Map<string, SweepRun[]>();
  for (const s of pts) {
    const key = `${s.cloud}-${s.concurrency}-${s.who}`;
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  let legend = 0;
  for (const [key, list] of series) {
    const [cloud, conc, who] = key.split('-');
    const colour = colours[`${cloud}-${conc}`] ?? '#666';
    const sorted = list.sort((a, b) => a.resources - b.resources);
    const d = sorted
      .map((s, i) => `${i ? 'L' : 'M'}${X(s.resources).toFixed(1)},${Y(s.perSecond).toFixed(1)}`)
      .join(' ');
    if (sorted.length > 1)
      out.push(
        `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2" ${who === 'backend' ? 'stroke-dasharray="5,3"' : ''}/>`,
      );
    for (const s of sorted)
      out.push(
        who === 'backend'
          ? `<rect x="${(X(s.resources) - 4).toFixed(1)}" y="${(Y(s.perSecond) - 4).toFixed(1)}" width="8" height="8" fill="none" stroke="${colour}" stroke-width="2"/>`
          : `<circle cx="${X(s.resources).toFixed(1)}" cy="${Y(s.perSecond).toFixed(1)}" r="4" fill="${colour}"/>`,
      );
    const ly = p2.y + 8 + legend * 16;
    out.push(
      who === 'backend'
        ? `<rect x="${p2.x + p2.w - 170}" y="${ly - 8}" width="8" height="8" fill="none" stroke="${colour}" stroke-width="2"/>`
        : `<circle cx="${p2.x + p2.w - 166}" cy="${ly - 4}" r="4" fill="${colour}"/>`,
    );
    text(p2.x + p2.w - 154, ly, `${cloud} ${who} c=${conc}`);
    legend++;
  }
  text(
    20,
    H - 14,
    `Reflex benchmarks · ${r.started.toISOString().slice(0, 10)} · ${machine(r).cpu} × ${machine(r).cores}${r.quick ? ' · --quick' : ''}`,
    'fill="#666"',
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
