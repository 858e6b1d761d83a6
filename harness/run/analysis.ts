import { formatDuration, parseDuration } from '../duration.ts';
import type { Plan, Stage } from '../load/executors.ts';
import type { MetricRegistry, SeriesPoint, TimeWindow } from '../metrics/registry.ts';
import type { PrometheusClient } from '../prometheus-client.ts';
import type { ScenarioDefinition, SloInput } from '../scenario.ts';
import { evaluateSlo } from '../verdict/evaluate.ts';
import type { BreakpointResult, DriftResult, RecoveryResult, VerdictCheck } from './record.ts';

// What a scenario measures beyond thresholds: the breakpoint's knee, the spike's recovery time
// and the soak's drift. Each reads the run's own windows and series (and, for the server side,
// the stack's Prometheus), lands in `analysis` of the run record, and may add verdict checks.

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const seconds = (ms: number) => Math.round(ms / 1_000);

/** How long after a step ends its decision waits for that step's answers (requests in flight). */
const STEP_GRACE_SECONDS = 2;

interface Step {
  rate: number;
  window: TimeWindow;
  decided: boolean;
}

/**
 * The breakpoint search. Every plateau of the plan (a stage whose rate holds) is a step; each
 * is judged on the requests started during it. The run stops at the first step whose error
 * rate or p95 passes the stop criterion; the knee is the highest rate of the unbroken run of
 * steps, from the first, that had the client criteria *and* every SLO green.
 */
export class BreakpointSearch {
  readonly #spec: { errorRate: number; p95: string };
  readonly #p95LimitMs: number;
  readonly #kneeAtLeast: number | undefined;
  readonly #steps: Step[];
  /** Set when a step broke: why, for the timeline and the record. */
  stoppedBy: string | null = null;

  /** The plan was checked by the caller: an arrival-rate executor with at least one plateau. */
  constructor(spec: NonNullable<ScenarioDefinition['breakpoint']>, plan: Plan, metrics: MetricRegistry, scale: number, source: string) {
    this.#spec = {
      errorRate: spec.stopAt?.errorRate ?? 0.1,
      p95: spec.stopAt?.p95 ?? '5s',
    };
    this.#p95LimitMs = parseDuration(this.#spec.p95, `${source}: breakpoint.stopAt.p95`);
    // Rates are scaled by --scale, so the gate on them is too.
    this.#kneeAtLeast = spec.kneeAtLeast === undefined ? undefined : round(spec.kneeAtLeast * scale);
    this.#steps = plateaus(plan.stages).map((stage, i) => ({
      rate: round(stage.from),
      window: metrics.window(`step ${i + 1}`, Math.ceil(stage.startMs / 1_000), Math.floor(stage.endMs / 1_000)),
      decided: false,
    }));
  }

  get stepCount(): number {
    return this.#steps.length;
  }

  #broken(window: TimeWindow): string | null {
    if (window.requests === 0) return null;
    const errorRate = window.failed / window.requests;
    const p95 = window.trend.percentile(95);
    if (errorRate > this.#spec.errorRate) return `error rate ${round(errorRate * 100, 1)} % > ${this.#spec.errorRate * 100} %`;
    if (p95 > this.#p95LimitMs) return `p95 ${formatDuration(p95)} > ${this.#spec.p95}`;
    return null;
  }

  /** Called each second: decides the steps whose answers are in. True when the run should stop. */
  onSecond(second: number): boolean {
    for (const [i, step] of this.#steps.entries()) {
      if (step.decided || second < step.window.toSecond + STEP_GRACE_SECONDS) continue;
      step.decided = true;
      const broken = this.#broken(step.window);
      if (broken && !this.stoppedBy) {
        this.stoppedBy = `step ${i + 1} (${step.rate} iterations/s) broke: ${broken}`;
        return true;
      }
    }
    return false;
  }

  /** The final table, with each run step's SLOs evaluated over its own window. */
  async finish(context: { slos: SloInput[]; prometheus: PrometheusClient | null; runStartSeconds: number; runSeconds: number }): Promise<{ result: BreakpointResult; checks: VerdictCheck[] }> {
    const steps: BreakpointResult['steps'] = [];
    let knee: number | null = null;
    let unbroken = true;
    for (const step of this.#steps) {
      const { window } = step;
      // A step the run never finished (stopped earlier, or interrupted) is not judged.
      if (window.toSecond > context.runSeconds || window.requests === 0) {
        steps.push({ rate: step.rate, fromSecond: window.fromSecond, toSecond: window.toSecond, requests: window.requests, errorRate: null, p95Ms: null, slos: [], green: null, note: 'not run' });
        unbroken = false;
        continue;
      }
      const broken = this.#broken(window);
      const slos: BreakpointResult['steps'][number]['slos'] = [];
      if (context.prometheus) {
        for (const slo of context.slos) {
          // At least 5 s: a rate() over fewer scrapes (1 s apart) may have no data at all. A
          // short step's window then reaches back into the step before it, which was green.
          const stepMs = Math.max(5, window.toSecond - window.fromSecond) * 1_000;
          const check = await evaluateSlo({ ...slo, window: undefined }, context.prometheus, context.runStartSeconds + window.toSecond, stepMs);
          slos.push({ name: slo.name, observed: check.observed, ok: check.ok });
        }
      }
      const green = broken === null && slos.every((slo) => slo.ok);
      if (unbroken && green) knee = step.rate;
      if (!green) unbroken = false;
      const failedSlos = slos.filter((slo) => !slo.ok).map((slo) => `SLO ${slo.name}`);
      steps.push({
        rate: step.rate,
        fromSecond: window.fromSecond,
        toSecond: window.toSecond,
        requests: window.requests,
        errorRate: round(window.failed / window.requests, 4),
        p95Ms: round(window.trend.percentile(95)),
        slos,
        green,
        note: [broken, ...failedSlos].filter(Boolean).join('; ') || null,
      });
    }
    const lastRun = steps.filter((step) => step.green !== null).at(-1);
    const result: BreakpointResult = {
      stopAt: { ...this.#spec },
      steps,
      knee,
      brokeAt: steps.find((step) => step.green === false)?.rate ?? null,
      stoppedBy: this.stoppedBy,
      summary:
        knee === null
          ? 'no knee: the first step was not green'
          : lastRun?.green && !this.stoppedBy
            ? `knee at ${knee} iterations/s or above: every step was green (the plan's highest rate did not break it)`
            : `knee at ${knee} iterations/s: the highest rate with every SLO green`,
    };
    const checks: VerdictCheck[] = [];
    const target = this.#kneeAtLeast ?? 0;
    checks.push({
      kind: 'threshold',
      name: 'knee',
      expression: this.#kneeAtLeast === undefined ? 'a green step exists' : `knee>=${target}`,
      target: `>= ${this.#kneeAtLeast ?? 'the first step'}`,
      observed: knee,
      window: 'per step',
      ok: knee !== null && knee >= target,
      ...(knee === null ? { note: result.summary } : {}),
    });
    return { result, checks };
  }
}

/** The stages whose rate holds (and is above zero): a breakpoint plan's steps. */
export function plateaus(stages: readonly Stage[]): Stage[] {
  return stages.filter((stage) => stage.from === stage.to && stage.to > 0 && stage.endMs - stage.startMs >= 1_000);
}

/**
 * Stages for a breakpoint search: from `from` to `to` iterations per `timeUnit` in steps of
 * `step`, each reached by a short ramp and held for `hold`.
 */
export function breakpointStages(options: { from: number; to: number; step: number; hold: string; ramp?: string }): { duration: string; target: number }[] {
  const stages: { duration: string; target: number }[] = [];
  for (let rate = options.from; rate <= options.to + 1e-9; rate += options.step) {
    stages.push({ duration: options.ramp ?? '2s', target: rate }, { duration: options.hold, target: rate });
  }
  return stages;
}

/** The windows a spike's recovery is read from, declared before the run. */
export interface RecoveryWindows {
  /** The first plateau before the peak. */
  baseline: TimeWindow | null;
  /** Where the peak's last plateau ends (the ramp down begins). */
  spikeEndSecond: number | null;
  /** Rolling windows of `consecutiveSeconds`, one starting at each second after the peak. */
  after: TimeWindow[];
}

export function recoveryWindows(spec: NonNullable<ScenarioDefinition['recovery']>, plan: Plan, metrics: MetricRegistry): RecoveryWindows {
  const peak = Math.max(...plan.stages.map((stage) => stage.to));
  const before = plateaus(plan.stages).find((stage) => stage.to < peak);
  const lastPeak = plan.stages.findLastIndex((stage) => stage.to === peak && stage.from === peak);
  const spikeEndSecond = lastPeak >= 0 ? Math.ceil(plan.stages[lastPeak]!.endMs / 1_000) : null;
  const width = spec.consecutiveSeconds ?? 3;
  const end = Math.floor(plan.durationMs / 1_000);
  const after: TimeWindow[] = [];
  for (let t = spikeEndSecond ?? end; t + width <= end; t++) after.push(metrics.window(`after +${t}`, t, t + width));
  return { baseline: before ? metrics.window('baseline', Math.ceil(before.startMs / 1_000), Math.floor(before.endMs / 1_000)) : null, spikeEndSecond, after };
}

/**
 * The spike's recovery time: from the end of the peak to the start of the first window of
 * `consecutiveSeconds` (requests by start time) whose p95 and error ratio are back near the
 * baseline: p95 ≤ max(baseline p95 × tolerance, baseline p95 + 20 ms), errors ≤ max(baseline's,
 * 1 %). The `within` gate is judged only when the run after the peak is long enough to show a
 * recovery that slow (a scaled-down spike may not be); the record says when it was not.
 */
export function analyseRecovery(spec: NonNullable<ScenarioDefinition['recovery']>, windows: RecoveryWindows, runSeconds: number, source: string): { result: RecoveryResult; checks: VerdictCheck[] } {
  const { baseline, spikeEndSecond } = windows;
  const tolerance = spec.tolerance ?? 1.5;
  const width = spec.consecutiveSeconds ?? 3;
  const base = baseline && baseline.requests > 0 ? { p95: baseline.trend.percentile(95), errorRatio: baseline.failed / baseline.requests } : null;
  const result: RecoveryResult = {
    baselineP95Ms: base ? round(base.p95) : null,
    baselineErrorRatio: base ? round(base.errorRatio, 4) : null,
    spikeEndSecond,
    recoveredAtSecond: null,
    recoverySeconds: null,
    criterion: 'no baseline plateau before the peak, or no peak plateau: nothing to measure',
  };
  if (base && spikeEndSecond !== null) {
    const p95Bound = Math.max(base.p95 * tolerance, base.p95 + 20);
    const errorBound = Math.max(base.errorRatio, 0.01);
    result.criterion = `${width} s with p95 ≤ ${round(p95Bound)} ms and errors ≤ ${round(errorBound * 100, 1)} %`;
    const recovered = windows.after.find((w) => w.toSecond <= runSeconds && w.requests > 0 && w.trend.percentile(95) <= p95Bound && w.failed / w.requests <= errorBound);
    if (recovered) {
      result.recoveredAtSecond = recovered.fromSecond;
      result.recoverySeconds = recovered.fromSecond - spikeEndSecond;
    }
  }
  const checks: VerdictCheck[] = [];
  if (spec.within !== undefined) {
    const limit = parseDuration(spec.within, `${source}: recovery.within`) / 1_000;
    const observable = spikeEndSecond !== null && runSeconds - spikeEndSecond >= limit + width;
    const check = { kind: 'threshold' as const, name: 'recovery time', expression: `recovery<=${spec.within}`, target: `<= ${spec.within}`, observed: result.recoverySeconds, window: 'after the peak' };
    if (result.recoverySeconds !== null) checks.push({ ...check, ok: result.recoverySeconds <= limit, note: result.criterion });
    // No baseline or no peak: the plan cannot show a recovery, which fails the gate.
    else if (observable || !base || spikeEndSecond === null) checks.push({ ...check, ok: false, note: `never recovered (${result.criterion})` });
    else checks.push({ ...check, ok: true, note: `not judged: the run after the peak (${runSeconds - spikeEndSecond} s) is shorter than ${spec.within} + ${width} s (scaled down?)` });
  }
  return { result, checks };
}

/**
 * The soak's drift: latency of the last fifth of the run against the first fifth (requests by
 * start time), each fifth's latency the median of its quarters' p95s: a drift is sustained (a
 * leak slows every later quarter), while one stall of the machine is a few seconds, and on a
 * short scaled-down soak a single stalled second was once enough to move a whole fifth's p95
 * from 49 to 81 ms. And each service's heap floor: the lowest heap in use (what survives garbage
 * collection) over the first fifth against the last. A leak raises the floor; the collector's
 * saw-tooth does not. (RSS is reported but not judged: it falls and rises with the allocator.)
 */
export async function analyseDrift(
  spec: NonNullable<ScenarioDefinition['drift']>,
  windows: DriftWindows,
  context: { prometheus: PrometheusClient | null; runStartSeconds: number; runSeconds: number },
): Promise<{ result: DriftResult; checks: VerdictCheck[] }> {
  /** The median of the quarters' p95s (quarters without requests left out). */
  const p95 = (quarters: TimeWindow[]) => {
    const values = quarters.filter((q) => q.requests > 0).map((q) => q.trend.percentile(95)).sort((a, b) => a - b);
    if (values.length === 0) return null;
    const mid = values.length / 2;
    return round(values.length % 2 ? values[Math.floor(mid)]! : (values[mid - 1]! + values[mid]!) / 2);
  };
  const first = p95(windows.firstQuarters);
  const last = p95(windows.lastQuarters);
  const span = (w: TimeWindow) => `${w.fromSecond}–${w.toSecond} s`;
  const result: DriftResult = {
    latency: { firstP95Ms: first, lastP95Ms: last, ratio: first && last ? round(last / first, 3) : null, firstWindow: span(windows.first), lastWindow: span(windows.last) },
    memory: [],
  };
  if (context.prometheus) {
    const fifth = `${Math.max(2, windows.first.toSecond - windows.first.fromSecond)}s`;
    const MB = 2 ** 20;
    const byInstance = async (expression: string, atSecond: number) => {
      const answer = await context.prometheus!.query(expression, context.runStartSeconds + atSecond);
      return new Map((answer.ok ? answer.series : []).map((series) => [series.metric.instance ?? '?', { job: series.metric.job ?? '?', value: Number(series.value?.[1]) / MB }]));
    };
    const floorFirst = await byInstance(`min_over_time(nodejs_heap_size_used_bytes[${fifth}])`, windows.first.toSecond);
    const floorLast = await byInstance(`min_over_time(nodejs_heap_size_used_bytes[${fifth}])`, windows.last.toSecond);
    const rss = await byInstance('process_resident_memory_bytes', windows.last.toSecond);
    for (const [instance, start] of floorFirst) {
      const end = floorLast.get(instance);
      if (!end || !Number.isFinite(start.value) || !Number.isFinite(end.value)) continue;
      result.memory.push({ service: start.job, instance, heapFloorFirstMB: round(start.value, 1), heapFloorLastMB: round(end.value, 1), heapGrowthMB: round(end.value - start.value, 1), rssMBAtEnd: round(rss.get(instance)?.value ?? Number.NaN, 1) });
    }
  }
  const checks: VerdictCheck[] = [];
  if (spec.maxLatencyGrowth !== undefined) {
    // A ratio alone fails a fast system on noise (12.8 → 26.6 ms is ×2.07 on a 2-minute run
    // here): the growth must also be at least `minLatencyGrowthMs` (default 50 ms) to count.
    const floorMs = spec.minLatencyGrowthMs ?? 50;
    const bound = first === null ? null : Math.max(first * spec.maxLatencyGrowth, first + floorMs);
    checks.push({
      kind: 'threshold',
      name: 'latency drift',
      expression: `p95(last fifth)/p95(first fifth)<=${spec.maxLatencyGrowth} or growth<${floorMs}ms (each fifth: median of its quarters' p95)`,
      target: `<= ${spec.maxLatencyGrowth}`,
      observed: result.latency.ratio,
      window: `${result.latency.firstWindow} vs ${result.latency.lastWindow}`,
      ok: bound !== null && last !== null && last <= bound,
      note: bound === null || last === null ? 'no samples in one of the windows: fails' : `last p95 ${last} ms against a bound of ${round(bound)} ms`,
    });
  }
  if (spec.maxHeapGrowthMB !== undefined && context.prometheus) {
    const worst = result.memory.reduce<DriftResult['memory'][number] | null>((w, m) => (w === null || m.heapGrowthMB > w.heapGrowthMB ? m : w), null);
    checks.push({
      kind: 'slo',
      name: 'heap drift',
      expression: 'min_over_time(nodejs_heap_size_used_bytes[fifth]): last fifth − first fifth, MB',
      target: `<= ${spec.maxHeapGrowthMB}`,
      observed: worst?.heapGrowthMB ?? null,
      window: `${result.latency.firstWindow} vs ${result.latency.lastWindow}`,
      ok: worst !== null && result.memory.every((m) => m.heapGrowthMB <= spec.maxHeapGrowthMB!),
      note: worst ? `largest: ${worst.service} (${worst.instance})` : 'no data: fails',
    });
  }
  return { result, checks };
}

export interface DriftWindows {
  first: TimeWindow;
  last: TimeWindow;
  firstQuarters: TimeWindow[];
  lastQuarters: TimeWindow[];
}

/** The windows a soak's drift compares: the first and the last fifth of the run, each in quarters. */
export function driftWindows(plan: Plan, metrics: MetricRegistry): DriftWindows {
  const total = seconds(plan.durationMs);
  const fifth = Math.max(1, Math.floor(total / 5));
  const quarters = (label: string, from: number) => {
    const cuts = [0, 1, 2, 3, 4].map((k) => from + Math.round((fifth * k) / 4));
    return cuts.slice(0, 4).map((start, k) => metrics.window(`${label} quarter ${k + 1}`, start, Math.max(start + 1, cuts[k + 1]!)));
  };
  return { first: metrics.window('first fifth', 0, fifth), last: metrics.window('last fifth', total - fifth, total), firstQuarters: quarters('first fifth', 0), lastQuarters: quarters('last fifth', total - fifth) };
}
