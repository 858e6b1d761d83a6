import { defineScenario, evaluateSlo, parseDuration, RushhourError, runScenario, type RunExtension, type RunOptions, type RunOutcome, type TimeWindow, type VerdictCheck } from '../harness/index.ts';
import type { ExperimentDefinition, Tolerance } from './experiment.ts';
import { injectFault, type ActiveFault } from './faults/index.ts';
import { longestIn, watchStatements, type StatementProbe } from './statement-probe.ts';

// Runs an experiment: the background load as a scenario, with the method's faults injected and
// reverted at their seconds, the hypothesis judged per phase, the recovery time measured, the
// alerts checked, and every fault rolled back on every exit path (success, failure, error,
// Ctrl-C): `cleanup` runs in the run's `finally`, and the fault ledger covers a killed process.

// 20 s of fault at least: an alert with `for: 10s` (PoolSaturationHigh) needs its condition held
// that long after the first scrape that sees it, and a 15 s fault missed it once on a busy VM.
const CI_FLOOR = { at: 10, for: 20, settle: 15 };
// Fewer than 10 requests a second leaves too few samples in a 15 s fault window to judge a 1 % error rate.
const CI_MIN_RATE = 10;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

interface Phase {
  name: 'before' | 'during' | 'after';
  from: number;
  to: number;
  tolerance: Tolerance;
}

/** The experiment's seconds at this scale: offsets and durations shrink, never below what alerts need. */
export function experimentTimes(experiment: ExperimentDefinition, scale: number, source: string) {
  const sec = (text: string, field: string) => parseDuration(text, `${source}: ${field}`) / 1_000;
  const steps = experiment.method.map((step, i) => {
    const at = Math.max(Math.round(sec(step.at, `method[${i}].at`) * scale), CI_FLOOR.at);
    const hold = Math.max(Math.round(sec(step.for, `method[${i}].for`) * scale), CI_FLOOR.for);
    return { ...step, at, until: at + hold };
  });
  const recoveryWithin = sec(experiment.recovery.within, 'recovery.within');
  const settle = Math.max(Math.round(sec(experiment.settle ?? '15s', 'settle') * scale), CI_FLOOR.settle);
  const firstAt = Math.min(...steps.map((s) => s.at));
  const lastUntil = Math.max(...steps.map((s) => s.until));
  const total = lastUntil + recoveryWithin + settle;
  return { steps, recoveryWithin, firstAt, lastUntil, total };
}

function toleranceChecks(phase: Phase, windows: { all: TimeWindow; endpoints: Map<string, TimeWindow> }, source: string): VerdictCheck[] {
  const checks: VerdictCheck[] = [];
  const span = `${phase.from}–${phase.to} s`;
  const judge = (scope: string, window: TimeWindow, limits: { errorRate?: number; p95?: string; p99?: string; max?: string }) => {
    if (limits.errorRate !== undefined) {
      const observed = window.requests ? window.failed / window.requests : null;
      checks.push({ kind: 'threshold', name: `steady state ${phase.name}: ${scope} error rate`, expression: `failed share ≤ ${limits.errorRate * 100} %`, target: `<= ${limits.errorRate}`, observed: observed === null ? null : round(observed, 4), window: span, ok: observed !== null && observed <= limits.errorRate, ...(observed === null ? { note: 'no requests in the window' } : {}) });
    }
    for (const stat of ['p95', 'p99', 'max'] as const) {
      const limit = limits[stat];
      if (limit === undefined) continue;
      const limitMs = parseDuration(limit, `${source}: hypothesis.${phase.name}.${stat}`);
      const observed = !window.requests ? null : stat === 'max' ? window.trend.value({ kind: 'max' }) : window.trend.percentile(stat === 'p95' ? 95 : 99);
      checks.push({ kind: 'threshold', name: `steady state ${phase.name}: ${scope} ${stat}`, expression: `${stat} ≤ ${limit}`, target: `<= ${limitMs} ms`, observed: observed === null ? null : round(observed), window: span, ok: observed !== null && observed <= limitMs, ...(observed === null ? { note: 'no requests in the window' } : {}) });
    }
  };
  judge('all requests', windows.all, phase.tolerance);
  for (const [endpoint, limits] of Object.entries(phase.tolerance.endpoints ?? {})) judge(endpoint, windows.endpoints.get(endpoint)!, limits);
  return checks;
}

export interface ExperimentRunOptions extends Omit<RunOptions, 'scenario' | 'extension'> {
  experiment: ExperimentDefinition;
}

export async function runExperiment(options: ExperimentRunOptions): Promise<RunOutcome> {
  const { experiment, source, scale } = options;
  if (!experiment.load.workload) throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: load: no workload (give one, or name a built-in scenario in load.scenario)`);
  const times = experimentTimes(experiment, scale, source);
  const before = experiment.hypothesis.before ?? {};
  const phases: Phase[] = [
    { name: 'before' as const, from: 0, to: times.firstAt, tolerance: before },
    { name: 'during' as const, from: times.firstAt, to: times.lastUntil, tolerance: experiment.hypothesis.during ?? {} },
    { name: 'after' as const, from: times.lastUntil + times.recoveryWithin, to: times.total, tolerance: experiment.hypothesis.after ?? before },
  ].filter((phase) => phase.to > phase.from);
  const active: { step: number; fault: Promise<ActiveFault | null> }[] = [];
  const problems: string[] = [];
  // Reverts started at their second and still running (a crashed component restarting).
  const reverting = new Set<Promise<void>>();
  const windows = new Map<string, { all: TimeWindow; endpoints: Map<string, TimeWindow> }>();
  let revertedAt: number | null = null;
  let startContext: Parameters<NonNullable<RunExtension['start']>>[0] | null = null;
  // Each phase's bound on the primary's statements, read here: a bad one is an input error before
  // any load, not a failed run. The primary is sampled only when some phase sets one.
  const statementLimits = new Map(
    phases.flatMap((phase) => {
      const limit = phase.tolerance.database?.longestStatement;
      return limit === undefined ? [] : [[phase.name, { limit, ms: parseDuration(limit, `${source}: hypothesis.${phase.name}.database.longestStatement`) }] as const];
    }),
  );
  let statements: StatementProbe | null = null;

  /** Reverts one fault (none when its injection failed), recording problems and the timeline event. */
  const revertOne = async (fault: ActiveFault | null, second: number) => {
    if (!fault) return;
    const issues = await fault.revert();
    problems.push(...issues);
    startContext?.timeline({ t: second, kind: 'fault-reverted', label: fault.label });
    startContext?.progress(`Fault reverted: ${fault.label}${issues.length ? ` (problems: ${issues.join('; ')})` : ''}.`);
  };

  const revertAll = async (second: number | null) => {
    await Promise.all([...reverting]);
    for (const entry of active.splice(0)) await revertOne(await entry.fault, second ?? times.total);
  };

  const extension: RunExtension = {
    kind: 'chaos',
    async start(context) {
      startContext = context;
      if (!context.controls && experiment.method.some((s) => s.fault.type === 'crash' || s.fault.type === 'hang')) {
        throw new RushhourError('RUSHHOUR_ERR_USAGE', `${source}: crash and hang faults need the controls of a stack this run boots (they live in its owner process), and a stack is up here: run \`rushhour down\` first`);
      }
      for (const phase of phases) {
        const endpoints = new Map(Object.keys(phase.tolerance.endpoints ?? {}).map((e) => [e, context.metrics.window(`${phase.name} ${e}`, phase.from, phase.to, e)] as const));
        windows.set(phase.name, { all: context.metrics.window(phase.name, phase.from, phase.to), endpoints });
      }
      if (statementLimits.size > 0) {
        statements = await watchStatements(context.topology.endpoints.postgresPrimary).catch((error: Error) => {
          throw new RushhourError('RUSHHOUR_ERR_COMPONENT_NOT_READY', `postgres-primary: the harness could not open its session for sampling statements: ${error.message}`);
        });
      }
    },
    onSecond(second) {
      const context = startContext!;
      statements?.sample(second);
      for (const [i, step] of times.steps.entries()) {
        if (second === step.at) {
          context.progress(`Injecting fault ${i + 1}: ${step.fault.type}...`);
          const fault = injectFault({ topology: context.topology, controls: context.controls!, cwd: process.cwd() }, step.fault).then(
            (f) => {
              context.timeline({ t: second, kind: 'fault-injected', label: f.label });
              context.progress(`Fault injected: ${f.label}.`);
              return f;
            },
            (error: Error) => {
              problems.push(`fault ${i + 1} (${step.fault.type}) could not be injected: ${error.message}`);
              context.timeline({ t: second, kind: 'note', label: `fault ${i + 1} not injected: ${error.message}` });
              return null;
            },
          );
          active.push({ step: i, fault });
        }
        if (second === step.until) {
          const index = active.findIndex((entry) => entry.step === i);
          if (index >= 0) {
            const [entry] = active.splice(index, 1);
            const done: Promise<void> = entry!.fault
              .then(async (fault) => {
                await revertOne(fault, second);
                if (fault) revertedAt = second;
              })
              .finally(() => reverting.delete(done));
            reverting.add(done);
          }
        }
      }
    },
    async finish(context) {
      // Anything still in force (the run stopped early) goes back before judging.
      await revertAll(null);
      const checks: VerdictCheck[] = [];
      checks.push({ kind: 'threshold', name: 'faults injected and reverted', expression: `${times.steps.length} fault(s) in, and out again`, target: 'no problem', observed: problems.length, window: 'run', ok: problems.length === 0, ...(problems.length ? { note: problems.join('; ') } : {}) });
      for (const phase of phases) checks.push(...toleranceChecks(phase, windows.get(phase.name)!, source));
      if (statements) {
        const samples = await statements.stop();
        context.record.analysis.database = { target: 'postgres-primary', seconds: samples };
        for (const phase of phases) {
          const bound = statementLimits.get(phase.name);
          if (!bound) continue;
          const observed = longestIn(samples, phase.from, phase.to);
          checks.push({ kind: 'threshold', name: `steady state ${phase.name}: longest statement on the primary`, expression: `oldest running statement ≤ ${bound.limit}`, target: `<= ${bound.ms} ms`, observed, window: `${phase.from}–${phase.to} s`, ok: observed !== null && observed <= bound.ms, ...(observed === null ? { note: 'no second of the window was sampled' } : {}) });
        }
      }
      if (context.prometheus) {
        await context.prometheus.waitForScrapeAfter(context.runStartSeconds + context.runSeconds, 10_000);
        for (const phase of phases) {
          for (const slo of phase.tolerance.slos ?? []) {
            const check = await evaluateSlo(slo, context.prometheus, context.runStartSeconds + phase.to, (phase.to - phase.from) * 1_000);
            checks.push({ ...check, name: `steady state ${phase.name}: ${check.name}`, window: `${check.window} ending at ${phase.to} s` });
          }
        }
      }
      // Recovery: from the last revert, the first 3 s in a row within the "before" tolerances.
      const from = revertedAt ?? times.lastUntil;
      const limitMs = before.p95 ? parseDuration(before.p95, `${source}: hypothesis.before.p95`) : Infinity;
      const good = (t: number) => {
        const point = context.metrics.overall.find((p) => p.t === t);
        return point !== undefined && point.count > 0 && point.errors / point.count <= (before.errorRate ?? 1) && point.p95 <= limitMs;
      };
      let recovered: number | null = null;
      for (let t = from; t + 2 < times.total; t++) {
        if (good(t) && good(t + 1) && good(t + 2)) {
          recovered = t - from;
          break;
        }
      }
      context.record.analysis.recovery = { baselineP95Ms: before.p95 ? limitMs : null, baselineErrorRatio: before.errorRate ?? null, spikeEndSecond: from, recoveredAtSecond: recovered === null ? null : from + recovered, recoverySeconds: recovered, criterion: `3 s in a row within the "before" tolerances after the last revert, within ${experiment.recovery.within}` };
      checks.push({ kind: 'threshold', name: 'recovery time', expression: `recovery<=${experiment.recovery.within}`, target: `<= ${times.recoveryWithin} s`, observed: recovered, window: `from ${from} s`, ok: recovered !== null && recovered <= times.recoveryWithin, ...(recovered === null ? { note: 'never back within the "before" tolerances' } : {}) });
      // Alerts: fired while the faults held, resolved by the end.
      if (experiment.alerts && context.prometheus) {
        const start = context.runStartSeconds;
        const end = start + context.runSeconds;
        await context.prometheus.waitForScrapeAfter(end, 10_000);
        for (const alert of experiment.alerts.fire) {
          const span = Math.max(1, Math.round(times.lastUntil - times.firstAt + 10));
          const fired = await context.prometheus.query(`max_over_time(ALERTS{alertname="${alert}",alertstate="firing"}[${span}s])`, start + times.lastUntil + 10);
          const didFire = fired.ok && fired.series.length > 0;
          checks.push({ kind: 'alert', name: `${alert} fires`, expression: `ALERTS{alertname="${alert}",alertstate="firing"}`, target: 'fires while the fault holds', observed: didFire ? 1 : 0, window: `${times.firstAt}–${times.lastUntil + 10} s`, ok: didFire });
          if (experiment.alerts.resolve !== false) {
            const still = await context.prometheus.query(`ALERTS{alertname="${alert}",alertstate="firing"}`, end);
            const resolved = still.ok && still.series.length === 0;
            checks.push({ kind: 'alert', name: `${alert} resolves`, expression: `absent(ALERTS{alertname="${alert}",alertstate="firing"})`, target: 'resolved by the end', observed: resolved ? 0 : 1, window: `at ${Math.round(context.runSeconds)} s`, ok: resolved });
          }
        }
      }
      return checks;
    },
    async cleanup() {
      await revertAll(null);
      await statements?.stop();
      return problems;
    },
  };

  const scenario = defineScenario({
    name: experiment.name,
    description: experiment.description,
    // Sized here, at this scale: planExecutor multiplies by `scale` again, so divide first.
    executor: { type: 'constant-arrival-rate', rate: Math.max(experiment.load.rate * scale, experiment.load.minRate ?? CI_MIN_RATE) / scale, duration: `${times.total / scale}s`, preAllocatedVUs: experiment.load.preAllocatedVUs ?? 20, maxVUs: experiment.load.maxVUs ?? 200 },
    workload: experiment.load.workload!,
    // Longer than a scenario's: the stack is often booted seconds before, and "before" is judged.
    warmup: { duration: '10s', rate: 10 },
    // The experiment's alerts are expected to fire: its own checks judge them.
    alerts: 'ignore',
    invariants: experiment.invariants ?? true,
  });
  return runScenario({ ...options, scenario, extension });
}
