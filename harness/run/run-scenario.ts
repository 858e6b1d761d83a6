import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import { resolveConfig } from '../config/resolve.ts';
import type { ResolvedConfig, UserConfig } from '../config/schema.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { up } from '../environment.ts';
import { RushhourError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { runAutocannon } from '../load/autocannon-driver.ts';
import { runPlan, type EngineResult, type Iteration } from '../load/engine.ts';
import { planExecutor, type ExecutorConfig, type Plan } from '../load/executors.ts';
import { watchGenerator } from '../load/generator-health.ts';
import { findK6, runK6 } from '../load/k6-driver.ts';
import { importK6Summary, type ImportedK6Run } from '../load/k6-summary.ts';
import { runPlanInWorkers } from '../load/workers.ts';
import { MetricRegistry } from '../metrics/registry.ts';
import type { TrendSink } from '../metrics/sinks.ts';
import { newRunId } from '../owner.ts';
import { PrometheusClient } from '../prometheus-client.ts';
import { driverFor, iterationFor, validateScenario, type Driver, type ScenarioDefinition, type WorkloadContext } from '../scenario.ts';
import { isAlive } from '../process.ts';
import { revertLeftoverFaults } from '../fault-ledger.ts';
import { checkInvariants, History, invariantChecks } from '../verdict/invariants.ts';
import type { RunExtension } from './extension.ts';
import type { ComponentControls } from '../controls.ts';
import { readState } from '../state.ts';
import type { InstanceLauncher, Provider, RunningStack, Topology } from '../topology.ts';
import { evaluateThreshold } from '../verdict/evaluate.ts';
import { parseThresholds, type Threshold } from '../verdict/thresholds.ts';
import { BreakpointSearch, driftWindows, plateaus, recoveryWindows } from './analysis.ts';
import { analyse, judgeOnServer } from './judge.ts';
import { RUN_RECORD_SCHEMA, RunRecordWriter, type RunRecord, type VerdictCheck } from './record.ts';

export interface RunOptions {
  scenario: ScenarioDefinition;
  /** Where the scenario came from, for error messages (`scenarios/smoke.ts`). */
  source: string;
  config: ResolvedConfig;
  /** The provider to boot when no stack is up (ignored with `target`). */
  provider: Provider;
  scale: number;
  runsDir: string;
  /** Send the load to this base URL instead of a stack. */
  target?: string;
  allowRemoteTarget?: boolean;
  /** `--driver`: overrides the scenario's driver. */
  driver?: string;
  /** A chaos experiment or canary riding on this run (its faults, its checks, its cleanup). */
  extension?: RunExtension;
  /** `--workers`: worker threads for the rushhour driver (default 1: this thread). */
  workers?: number;
  /** The scenario's file, absolute: worker threads load the scenario from it. */
  module?: string;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

export interface RunOutcome {
  record: RunRecord;
  dir: string;
  exitCode: number;
}

const isLoopback = (address: string) => /^127\./.test(address) || address === '::1' || address === '::ffff:127.0.0.1';

/** Load may only go to loopback (or the stack) unless the user says the target is theirs. */
async function checkTarget(target: string, allowRemote: boolean): Promise<void> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `--target must be an http(s) URL, not "${target}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RushhourError('RUSHHOUR_ERR_USAGE', `--target must be an http(s) URL, not "${target}"`);
  if (allowRemote) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0 || !addresses.every((entry) => isLoopback(entry.address))) {
    throw new RushhourError('RUSHHOUR_ERR_TARGET_NOT_ALLOWED', `--target ${target} resolves to ${addresses.map((a) => a.address).join(', ') || 'nothing'}, not loopback`);
  }
}

/** Prometheus parses each SLO before any load is sent: a typo is exit 2, not a failed run. */
async function validateSlos(scenario: ScenarioDefinition, prometheus: PrometheusClient, source: string): Promise<void> {
  for (const slo of scenario.slos ?? []) {
    const expression = slo.query.replaceAll('$window', '1m');
    const answer = await prometheus.query(expression);
    if (!answer.ok && answer.errorType === 'bad_data') {
      throw new RushhourError('RUSHHOUR_ERR_SLO_INVALID', `${source}: slos["${slo.name}"]: "${slo.query}": ${answer.error}`);
    }
  }
}

function gitInfo(): RunRecord['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** The percentiles of each endpoint's latency curve in the record (the report's HDR plot). */
const DISTRIBUTION = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99];

/**
 * One load run, end to end: boot (or reuse) the stack, run the executor with the scenario's
 * workload, judge it against thresholds (continuously, for abortOnFail, and at the end), SLOs
 * and the alert gate, and leave `runs/<id>/run.json`. Failures of the workload are data in the
 * record; only the harness's own failures throw.
 */
export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const { scenario, source, scale } = options;
  const progress = options.progress ?? (() => {});
  const thresholds = parseThresholds(scenario.thresholds ?? {}, source);
  const plan: Plan = planExecutor(validateScenario(scenario, source).executor as ExecutorConfig, scale, `${source}: executor`);
  const driver = driverFor(scenario, options.driver, source);
  if ((options.workers ?? 1) > 1 && (driver !== 'rushhour' || !options.module)) {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `--workers: only the rushhour driver runs in worker threads${options.module ? '' : ', and only for a scenario loaded from a file'}`);
  }
  if (scenario.invariants && options.target) {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `${source}: invariants: the history of writes is checked against the stack's database; not with --target`);
  }
  // Before any stack boots: a run that cannot start should cost nothing.
  if (driver === 'k6' && !findK6()) throw new RushhourError('RUSHHOUR_ERR_K6_MISSING', `${source}: --driver k6 needs a k6 binary on PATH, and there is none`);
  if (scenario.warmup) parseDuration(scenario.warmup.duration, `${source}: warmup.duration`);
  if (scenario.breakpoint && (plan.model !== 'open' || plateaus(plan.stages).length === 0)) {
    throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: breakpoint: needs an arrival-rate executor with plateaus (stages that hold a rate); build them with breakpointStages()`);
  }
  if (scenario.breakpoint?.stopAt?.p95) parseDuration(scenario.breakpoint.stopAt.p95, `${source}: breakpoint.stopAt.p95`);
  if (scenario.recovery?.within) parseDuration(scenario.recovery.within, `${source}: recovery.within`);
  if (options.target) await checkTarget(options.target, options.allowRemoteTarget ?? false);

  // The stack: none with --target; the one already up here, reused and left up; else our own.
  let stack: RunningStack | null = null;
  let topology: Topology | null = null;
  let provider: RunRecord['provider'] = 'target';
  const config = scenario.stack ? resolveConfig(mergeConfig(options.config, scenario.stack), source) : options.config;
  if (!options.target) {
    const existing = readState();
    if (existing && isAlive(existing.pid)) {
      topology = existing;
      progress(`Using the stack already up here (${existing.provider}, ${existing.runId}); it stays up.`);
      // A run that died with a fault in force left it in the ledger: load must not meet it.
      const leftovers = await revertLeftoverFaults({ stackId: existing.runId });
      if (leftovers.reverted.length) progress(`Reverted faults a dead run left in force: ${leftovers.reverted.join(', ')}${leftovers.problems.length ? ` (problems: ${leftovers.problems.join('; ')})` : ''}.`);
    } else {
      progress(`Booting a ${options.provider} stack for this run...`);
      stack = await up(config, options.provider, { signal: options.signal, progress });
      topology = stack.topology;
    }
    provider = topology.provider;
  }
  try {
    const prometheus = topology ? new PrometheusClient(topology.endpoints.prometheus) : null;
    if (prometheus) {
      await validateSlos(scenario, prometheus, source);
      await settle(prometheus, progress);
    }
    return await drive({ ...options, config }, { thresholds, plan, topology, prometheus, provider, progress, driver, controls: stack?.controls ?? null, instances: stack?.instances ?? null });
  } finally {
    if (stack) {
      progress('Tearing the stack down...');
      await stack.stop();
    }
  }
}

/** The load run, then the extension's cleanup (its rollbacks) whatever happened. */
async function drive(options: RunOptions & { config: ResolvedConfig }, context: Parameters<typeof driveLoad>[1]): Promise<RunOutcome> {
  try {
    return await driveLoad(options, context);
  } finally {
    const problems = (await options.extension?.cleanup?.().catch((error: Error) => [error.message])) ?? [];
    for (const problem of problems) context.progress(`Cleanup: ${problem}`);
  }
}

/**
 * Waits (at most 15 s) until the stack's own metrics say it has settled: every target scraped
 * and up, and the replica lag measured (a service started before the replica reports it as
 * unreachable until its next probe). Otherwise a run right after boot would be judged on the
 * boot's last seconds.
 */
async function settle(prometheus: PrometheusClient, progress: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 15_000;
  const expression = 'min(up) == 1 and on() max(replica_lag_seconds) < 1000';
  while (Date.now() < deadline) {
    const answer = await prometheus.query(expression).catch(() => null);
    if (answer?.ok && answer.series.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  progress('Warning: the stack did not settle within 15 s (a target down, or the replica lag unmeasured); running anyway.');
}

function mergeConfig(base: ResolvedConfig, overrides: UserConfig): UserConfig {
  const merge = (a: unknown, b: unknown): unknown =>
    b && typeof b === 'object' && !Array.isArray(b) && a && typeof a === 'object' ? Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, k in (b as object) ? merge((a as never)[k], (b as never)[k]) : (a as never)[k]])) : (b ?? a);
  return merge(structuredClone(base), overrides) as UserConfig;
}

async function driveLoad(
  options: RunOptions,
  context: { thresholds: Threshold[]; plan: Plan; topology: Topology | null; prometheus: PrometheusClient | null; provider: RunRecord['provider']; progress: (line: string) => void; driver: Driver; controls: ComponentControls | null; instances: InstanceLauncher | null },
): Promise<RunOutcome> {
  const { scenario, source } = options;
  const { thresholds, plan, topology, prometheus, progress } = context;
  const id = newRunId();
  const writer = new RunRecordWriter(options.runsDir, id);
  const metrics = new MetricRegistry();
  for (const threshold of thresholds) metrics.watch(threshold.selector);
  const target = options.target ?? topology!.endpoints.gateway;
  const startedWall = Date.now();
  const record: RunRecord = {
    schema: RUN_RECORD_SCHEMA,
    id,
    kind: options.extension?.kind ?? 'load',
    name: scenario.name,
    description: scenario.description,
    status: 'running',
    startedAt: new Date(startedWall).toISOString(),
    finishedAt: null,
    durationMs: null,
    git: gitInfo(),
    provider: context.provider,
    target,
    driver: context.driver === 'autocannon' || context.driver === 'k6' ? context.driver : plan.model === 'open' ? 'rushhour-open-model' : 'rushhour-closed-model',
    scale: options.scale,
    tools: { node: process.version, rushhour: '0.1.0' },
    machine: { platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryMB: Math.round(os.totalmem() / 2 ** 20), node: process.version, hostname: os.hostname() },
    // The record is a CI artifact: the webhook secret stays out of it.
    config: { ...options.config, sut: { ...options.config.sut, webhookSecret: '<redacted>' } },
    executor: plan,
    timeline: plan.stages.map((stage, i) => ({ t: stage.startMs / 1_000, kind: 'stage' as const, label: `stage ${i + 1}: ${round(stage.from)} → ${round(stage.to)} ${plan.model === 'open' ? 'iterations/s' : 'VUs'} over ${formatDuration(stage.endMs - stage.startMs)}` })),
    client: { iterations: 0, dropped: 0, iterationErrors: 0, requests: 0, failedRequests: 0, maxVUsUsed: 0, endpoints: {}, series: [], overall: [] },
    analysis: { breakpoint: null, recovery: null, drift: null },
    warmup: null,
    server: [],
    invariants: null,
    generator: null,
    verdict: null,
  };
  writer.write(record);
  progress(`Run ${id}: ${scenario.name}, ${plan.type} for ${formatDuration(plan.durationMs)} against ${target} (record: ${writer.file})`);

  const abort = new AbortController();
  const onOuterAbort = () => abort.abort('interrupted');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let abortedBy: string | null = null;
  // The history lives in this thread's workload: another driver or worker threads cannot fill it.
  const historyMissing = !scenario.invariants ? null : context.driver !== 'rushhour' ? `--driver ${context.driver}` : (options.workers ?? 1) > 1 ? '--workers' : null;
  const history = scenario.invariants && !historyMissing ? new History() : undefined;
  if (historyMissing) record.timeline.push({ t: 0, kind: 'note', label: `invariants not judged: the history of writes is recorded by the rushhour driver on one thread, not with ${historyMissing}` });
  const workloadContext = { dataset: topology?.dataset ?? null, topology, seed: options.config.fixtures.seed, history };
  const iteration = iterationFor(scenario, workloadContext);
  if (options.extension?.start) {
    if (!topology) throw new RushhourError('RUSHHOUR_ERR_USAGE', `${source}: a ${options.extension.kind} run needs the stack, not --target`);
    await options.extension.start({ topology, controls: context.controls, instances: context.instances, prometheus: context.prometheus, metrics, timeline: (event) => record.timeline.push(event), progress });
  }
  if (scenario.warmup && !abort.signal.aborted) {
    record.warmup = await warmUp(scenario.warmup, { target, iteration, signal: abort.signal, source, progress });
    writer.write(record);
  }
  const breakpoint = scenario.breakpoint ? new BreakpointSearch(scenario.breakpoint, plan, metrics, options.scale, source) : null;
  const recoveryAt = scenario.recovery ? recoveryWindows(scenario.recovery, plan, metrics) : null;
  const driftAt = scenario.drift ? driftWindows(plan, metrics) : null;
  const workers = options.workers ?? 1;
  const generator = watchGenerator(workers);
  let lastWrite = 0;
  const onSecond = (second: number) => {
    options.extension?.onSecond?.(second);
    generator.tick(second);
    metrics.flushBefore(second);
    // Continuous evaluation every 2 s, as k6 does; only abortOnFail thresholds act on it.
    if (second % 2 === 0 && !abort.signal.aborted) {
      for (const threshold of thresholds.filter((t) => t.abortOnFail)) {
        const check = evaluateThreshold(threshold, metrics, second * 1_000);
        if (!check.ok && second * 1_000 >= threshold.delayAbortEvalMs) {
          abortedBy = `${check.name}: ${check.expression} (observed ${check.observed})`;
          record.timeline.push({ t: second, kind: 'abort', label: `aborted by threshold ${abortedBy}` });
          progress(`Aborting: threshold ${abortedBy} failed (abortOnFail).`);
          abort.abort('threshold');
          break;
        }
      }
    }
    if (breakpoint?.onSecond(second) && !abort.signal.aborted) {
      record.timeline.push({ t: second, kind: 'note', label: `breakpoint: ${breakpoint.stoppedBy}; stopped` });
      progress(`Breakpoint: ${breakpoint.stoppedBy}; stopping.`);
      abort.abort('breakpoint');
    }
    if (second - lastWrite >= 5) {
      lastWrite = second;
      record.client.series = metrics.series;
      record.client.overall = metrics.overall;
      writer.write(record);
    }
  };
  let imported: ImportedK6Run | null = null;
  let engine: EngineResult;
  if (context.driver === 'autocannon') {
    engine = await runAutocannon({ target, plan: plan as Extract<Plan, { model: 'closed' }>, requests: scenario.requests!(workloadContext), metrics, signal: abort.signal, onSecond });
  } else if (context.driver === 'k6') {
    ({ engine, imported } = await runTwin(scenario, { target, plan, thresholds, dir: writer.dir, workloadContext, signal: abort.signal }));
    record.timeline.push({ t: 0, kind: 'note', label: 'k6 ran the load: per-second series, generator health and breakpoint/recovery/drift are not in its summary' });
  } else {
    const gracefulStopMs = scenario.gracefulStop ? parseDuration(scenario.gracefulStop, `${source}: gracefulStop`) : 30_000;
    engine =
      workers > 1
        ? await runPlanInWorkers({ target, plan, metrics, signal: abort.signal, gracefulStopMs, onSecond, workers, workload: { module: options.module!, source, context: workloadContext } })
        : await runPlan({ target, plan, metrics, iteration, signal: abort.signal, gracefulStopMs, onSecond, tagVersions: options.extension?.kind === 'canary' ? (options.extension.versionHeader ?? 'x-upstream-version') : undefined });
  }
  options.signal?.removeEventListener('abort', onOuterAbort);
  metrics.flushBefore(Number.MAX_SAFE_INTEGER);
  const endWall = Date.now();
  // The workload's own t=0 on the wall clock (after the warm-up): server series and step
  // windows are aligned to it.
  const runStartSeconds = (performance.timeOrigin + engine.startedAt) / 1_000;
  const runSeconds = Math.floor(engine.durationMs / 1_000);
  const interrupted = options.signal?.aborted ?? false;

  // Client results.
  const endpoints: RunRecord['client']['endpoints'] = {};
  for (const [name, { trend, failed }] of metrics.endpoints) {
    endpoints[name] = { count: trend.count, failed, avg: round(trend.value({ kind: 'avg' })), p50: round(trend.percentile(50)), p90: round(trend.percentile(90)), p95: round(trend.percentile(95)), p99: round(trend.percentile(99)), max: round(trend.value({ kind: 'max' })), distribution: DISTRIBUTION.map((p) => ({ p, ms: round(trend.percentile(p)) })) };
  }
  const failedRate = metrics.sink({ metric: 'http_req_failed', key: 'http_req_failed', tags: {} });
  record.client = imported ? { ...imported.client, series: [], overall: [] } : {
    iterations: engine.iterations,
    dropped: engine.dropped,
    iterationErrors: engine.iterationErrors,
    requests: Object.values(endpoints).reduce((sum, e) => sum + e.count, 0),
    failedRequests: 'trues' in failedRate ? failedRate.trues : 0,
    maxVUsUsed: engine.maxVUsUsed,
    endpoints,
    series: metrics.series,
    overall: metrics.overall,
  };
  record.generator = imported ? null : generator.finish(engine.dropped);
  if (record.generator?.warning) progress(`Warning: ${record.generator.warning}`);

  // Verdict: thresholds over the whole run; SLOs and the alert gate from Prometheus.
  const checks: VerdictCheck[] = imported ? [...imported.checks] : thresholds.map((threshold) => evaluateThreshold(threshold, metrics, engine.durationMs));
  const server = await judgeOnServer(scenario, prometheus, { runStartSeconds, endSeconds: endWall / 1_000, durationMs: engine.durationMs, slosPerStep: breakpoint !== null });
  checks.push(...server.checks);
  record.server = server.series;
  // The analyses read per-second data, which a k6 run does not have.
  if (!imported) {
    const analysed = await analyse(scenario, { breakpoint, recoveryAt, driftAt, prometheus, runStartSeconds, runSeconds, source });
    record.analysis = analysed.analysis;
    checks.push(...analysed.checks);
  }
  if (options.extension?.finish) checks.push(...(await options.extension.finish({ prometheus, runStartSeconds, runSeconds, metrics, record })));
  // Invariants last: the database once the load (and its stragglers) are done.
  let invariantsViolated = false;
  if (history && topology) {
    const results = await checkInvariants(topology.endpoints.postgresPrimary, history);
    record.invariants = { operations: history.counts, results };
    const invariantVerdicts = invariantChecks(results, history);
    invariantsViolated = invariantVerdicts.some((check) => !check.ok);
    checks.push(...invariantVerdicts);
  }
  const failed = checks.filter((check) => !check.ok);
  const reasons = [
    ...(interrupted ? ['interrupted'] : []),
    ...(abortedBy ? [`aborted by threshold ${abortedBy}`] : []),
    ...failed.map((check) => `${check.kind} ${check.name}: ${check.expression} (observed ${check.observed ?? 'no data'}, target ${check.target}${check.note ? `; ${check.note}` : ''})`),
  ];
  // Lost or corrupted data outranks a slow run: 100 before 99.
  // A canary rolled back against its plan's expectation outranks a slow run (a rollback is a
  // decision); one promoted where a rollback was expected is a failed check like any other.
  const canaryMissed = failed.some((check) => check.kind === 'canary' && check.observed === 0);
  const exitCode = interrupted ? ExitCode.interrupted : invariantsViolated ? ExitCode.invariantViolated : canaryMissed ? ExitCode.canaryRolledBack : failed.length || abortedBy ? ExitCode.thresholdsFailed : ExitCode.passed;
  record.verdict = { ok: exitCode === ExitCode.passed, exitCode, reasons, checks };
  // A breakpoint search that found its break finished its job: that stop is not an abort.
  record.status = interrupted ? 'interrupted' : abortedBy ? 'aborted' : 'finished';
  record.finishedAt = new Date(endWall).toISOString();
  record.durationMs = Math.round(engine.durationMs);
  writer.write(record);
  return { record, dir: writer.dir, exitCode };
}

/** The k6 driver: the scenario's twin run by k6, its summary imported in the record's terms. */
async function runTwin(
  scenario: ScenarioDefinition,
  context: { target: string; plan: Plan; thresholds: Threshold[]; dir: string; workloadContext: WorkloadContext; signal: AbortSignal },
): Promise<{ engine: EngineResult; imported: ImportedK6Run }> {
  const startedAt = performance.now();
  const run = await runK6({ script: scenario.k6!.script, dir: context.dir, plan: context.plan, thresholds: scenario.thresholds ?? {}, data: { baseUrl: context.target, ...scenario.k6!.data(context.workloadContext) }, signal: context.signal });
  const imported = importK6Summary(run.summary, context.thresholds);
  const { client } = imported;
  return { engine: { startedAt, durationMs: run.durationMs, iterations: client.iterations, dropped: client.dropped, iterationErrors: 0, maxVUsUsed: client.maxVUsUsed, aborted: context.signal.aborted }, imported };
}

/**
 * The warm-up: the workload at a constant rate into a registry of its own, so nothing it
 * measures reaches a threshold, the client series or the per-endpoint table.
 */
async function warmUp(
  warmup: NonNullable<ScenarioDefinition['warmup']>,
  context: { target: string; iteration: Iteration; signal: AbortSignal; source: string; progress: (line: string) => void },
): Promise<NonNullable<RunRecord['warmup']>> {
  const plan = planExecutor({ type: 'constant-arrival-rate', rate: warmup.rate, timeUnit: '1s', duration: warmup.duration, preAllocatedVUs: Math.ceil(warmup.rate), maxVUs: Math.ceil(warmup.rate) * 4 }, 1, `${context.source}: warmup`);
  context.progress(`Warming up: ${formatDuration(plan.durationMs)} at ${warmup.rate} iterations/s (not measured)...`);
  const metrics = new MetricRegistry();
  const result = await runPlan({ target: context.target, plan, metrics, iteration: context.iteration, signal: context.signal, gracefulStopMs: 5_000 });
  const duration = metrics.sink({ metric: 'http_req_duration', key: 'http_req_duration', tags: {} }) as TrendSink;
  const failed = metrics.sink({ metric: 'http_req_failed', key: 'http_req_failed', tags: {} });
  return {
    durationMs: Math.round(result.durationMs),
    rate: warmup.rate,
    iterations: result.iterations,
    requests: duration.count,
    failedRequests: 'trues' in failed ? failed.trues : 0,
    p95Ms: duration.count ? round(duration.percentile(95)) : null,
  };
}

const round = (value: number) => Math.round(value * 100) / 100;
