/** What one warm scenario measured, the same shape for both clouds. */
import { backendFloor, type Parallelism, waves } from './parallelism.js';
import { criticalPath, deepestChain, median, mode, percentile, type TimedCall } from './stats.js';

export interface Sample {
  wallMs: number;
  /** Calls in the backend's own log (proxy / emulator) during the handler. */
  backendCalls: number;
  /** Attempts timed at the client. */
  timed: TimedCall[];
  /** AWS: each SDK call timed at `client.send` (serialise, sign, send, parse, retries): the SDK's own CPU included. */
  sends?: TimedCall[];
}

export interface ScenarioResult {
  cloud: 'aws' | 'azure';
  name: string;
  event: string;
  n: number;
  wallP50: number;
  wallP99: number;
  calls: number;
  callsMax: number;
  depth: number;
  depthMax: number;
  /** The deepest chain of one typical run (labels), for diagnosis. */
  chain: string[];
  overheadP50: number;
  overheadP99: number;
  /** AWS: handler time minus the critical path's calls timed at `client.send` (what is left besides the SDK). */
  beyondSdkP50?: number;
  /** Median time in calls along the critical path. */
  criticalCallMsP50: number;
  /** The backend's single-call round trip, as a one-call bot sees it (median, SDK included). */
  rttMs: number;
  /** The same round trip timed where the calls are (AWS: the HTTP handler; Azure: the per-retry policy). */
  rttWireMs: number;
  /** The call it was measured with (a read of the scenario's kind of resource). */
  rttCall: string;
  ratioP50: number;
  /**
   * The ratio a bot with no cost of its own would show with these calls: critical-path call time / (depth × RTT),
   * both timed where the calls are. Above the target, only fewer calls or a backend that serves parallel calls in
   * parallel can meet it.
   */
  callsAloneP50: number;
  /** Calls in each wave of a typical run (reads sent together, then writes, then verifying reads). */
  waves: number[];
  /** How this backend serves reads sent at once (bare HTTP, no SDK), when it was measured. */
  parallelism?: Parallelism;
  /**
   * The ratio a client that costs nothing would show with these waves of calls on this backend (information): from
   * `parallelism`, Σ factor(calls in a wave) / depth. Above the target, no bot making these calls can meet it here.
   */
  backendFloor?: number;
  problems: string[];
}

/** A single read's round trip, measured between runs: at `client.send` / the SDK call, and where calls are timed. */
export interface Rtt {
  call: string;
  sdk: number[];
  wire: number[];
}

export function summarise(
  cloud: 'aws' | 'azure',
  name: string,
  event: string,
  samples: Sample[],
  rtt: Rtt,
  problems: string[],
  parallelism?: Parallelism,
): ScenarioResult {
  const rttMs = median(rtt.sdk);
  const rttWireMs = median(rtt.wire);
  const paths = samples.map((s) => criticalPath(s.timed));
  const overheads = samples.map((s, i) => s.wallMs - paths[i]!.callMs);
  const depths = paths.map((p) => p.depth);
  const depth = mode(depths);
  const typical = samples.find((_, i) => paths[i]!.depth === depth) ?? samples[0];
  const wallP50 = median(samples.map((s) => s.wallMs));
  const calls = samples.map((s) => s.backendCalls);
  const timedCounts = samples.map((s) => s.timed.length);
  if (calls.some((c, i) => c !== timedCounts[i]))
    problems.push(
      `backend logged ${calls.join(',')} calls, client timed ${timedCounts.join(',')} — counts differ (see notes)`,
    );
  return {
    cloud,
    name,
    event,
    n: samples.length,
    wallP50,
    wallP99: percentile(
      samples.map((s) => s.wallMs),
      99,
    ),
    calls: mode(calls),
    callsMax: Math.max(...calls),
    depth,
    depthMax: Math.max(...depths),
    chain: typical ? deepestChain(typical.timed) : [],
    overheadP50: median(overheads),
    ...(samples.every((x) => x.sends)
      ? { beyondSdkP50: median(samples.map((x) => x.wallMs - criticalPath(x.sends!).callMs)) }
      : {}),
    overheadP99: percentile(overheads, 99),
    criticalCallMsP50: median(paths.map((p) => p.callMs)),
    rttMs,
    rttWireMs,
    rttCall: rtt.call,
    ratioP50: wallP50 / (depth * rttMs),
    callsAloneP50: median(paths.map((p) => p.callMs)) / (depth * rttWireMs),
    waves: typical ? waves(typical.timed) : [],
    ...(parallelism && typical
      ? { parallelism, backendFloor: backendFloor(parallelism, waves(typical.timed), depth) }
      : {}),
    problems,
  };
}
