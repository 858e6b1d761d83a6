import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import { resolveConfig } from '../config/resolve.ts';
import type { ResolvedConfig, UserConfig } from '../config/schema.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { up } from '../environment.ts';
import { RushhourError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { runPlan } from '../load/engine.ts';
import { planExecutor, type ExecutorConfig, type Plan } from '../load/executors.ts';
import { watchGenerator } from '../load/generator-health.ts';
import { MetricRegistry } from '../metrics/registry.ts';
import { newRunId } from '../owner.ts';
import { PrometheusClient } from '../prometheus-client.ts';
import { validateScenario, type ScenarioDefinition } from '../scenario.ts';
import { isAlive } from '../process.ts';
import { readState } from '../state.ts';
import type { Provider, RunningStack, Topology } from '../topology.ts';
import { evaluateNoAlerts, evaluateSlo, evaluateThreshold, windowOf } from '../verdict/evaluate.ts';
import { parseThresholds, type Threshold } from '../verdict/thresholds.ts';
import { RUN_RECORD_SCHEMA, RunRecordWriter, type RunRecord, type ServerSeries, type VerdictCheck } from './record.ts';

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

/** What the report draws from the server side, over the run, at 1 s steps. */
const SERVER_SERIES: Omit<ServerSeries, 'points'>[] = [
  { name: 'server p95 latency', unit: 's', query: 'max(service:http_request_duration_seconds:p95_30s)' },
  { name: 'server error ratio', unit: 'ratio', query: 'max(service:http_errors:ratio_rate30s)' },
  { name: 'server request rate', unit: 'req/s', query: 'sum(service:http_requests:rate30s)' },
  { name: 'cache hit ratio', unit: 'ratio', query: 'max(service:cache_hit:ratio_rate1m)' },
  { name: 'pool waiting', unit: 'requests', query: 'sum(db_pool_connections{state="waiting"})' },
  { name: 'replica lag', unit: 's', query: 'max(replica_lag_seconds)' },
];

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
    return await drive({ ...options, config }, { thresholds, plan, topology, prometheus, provider, progress });
  } finally {
    if (stack) {
      progress('Tearing the stack down...');
      await stack.stop();
    }
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

async function drive(
  options: RunOptions,
  context: { thresholds: Threshold[]; plan: Plan; topology: Topology | null; prometheus: PrometheusClient | null; provider: RunRecord['provider']; progress: (line: string) => void },
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
    kind: 'load',
    name: scenario.name,
    description: scenario.description,
    status: 'running',
    startedAt: new Date(startedWall).toISOString(),
    finishedAt: null,
    durationMs: null,
    git: gitInfo(),
    provider: context.provider,
    target,
    driver: plan.model === 'open' ? 'rushhour-open-model' : 'rushhour-closed-model',
    scale: options.scale,
    tools: { node: process.version, rushhour: '0.1.0' },
    machine: { platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryMB: Math.round(os.totalmem() / 2 ** 20), node: process.version, hostname: os.hostname() },
    // The record is a CI artifact: the webhook secret stays out of it.
    config: { ...options.config, sut: { ...options.config.sut, webhookSecret: '<redacted>' } },
    executor: plan,
    timeline: plan.stages.map((stage, i) => ({ t: stage.startMs / 1_000, kind: 'stage' as const, label: `stage ${i + 1}: ${round(stage.from)} → ${round(stage.to)} ${plan.model === 'open' ? 'iterations/s' : 'VUs'} over ${formatDuration(stage.endMs - stage.startMs)}` })),
    client: { iterations: 0, dropped: 0, iterationErrors: 0, requests: 0, failedRequests: 0, maxVUsUsed: 0, endpoints: {}, series: [] },
    server: [],
    generator: null,
    verdict: null,
  };
  writer.write(record);
  progress(`Run ${id}: ${scenario.name}, ${plan.type} for ${formatDuration(plan.durationMs)} against ${target} (record: ${writer.file})`);

  const generator = watchGenerator();
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort('interrupted');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let abortedBy: string | null = null;
  const iteration = scenario.workload({ dataset: topology?.dataset ?? null, topology, seed: options.config.fixtures.seed });
  let lastWrite = 0;
  const engine = await runPlan({
    target,
    plan,
    metrics,
    iteration,
    signal: abort.signal,
    gracefulStopMs: scenario.gracefulStop ? parseDuration(scenario.gracefulStop, `${source}: gracefulStop`) : 30_000,
    onSecond: (second) => {
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
      if (second - lastWrite >= 5) {
        lastWrite = second;
        record.client.series = metrics.series;
        writer.write(record);
      }
    },
  });
  options.signal?.removeEventListener('abort', onOuterAbort);
  metrics.flushBefore(Number.MAX_SAFE_INTEGER);
  const endWall = Date.now();
  const interrupted = options.signal?.aborted ?? false;

  // Client results.
  const endpoints: RunRecord['client']['endpoints'] = {};
  for (const [name, { trend, failed }] of metrics.endpoints) {
    endpoints[name] = { count: trend.count, failed, avg: round(trend.value({ kind: 'avg' })), p50: round(trend.percentile(50)), p90: round(trend.percentile(90)), p95: round(trend.percentile(95)), p99: round(trend.percentile(99)), max: round(trend.value({ kind: 'max' })) };
  }
  const failedRate = metrics.sink({ metric: 'http_req_failed', key: 'http_req_failed', tags: {} });
  record.client = {
    iterations: engine.iterations,
    dropped: engine.dropped,
    iterationErrors: engine.iterationErrors,
    requests: Object.values(endpoints).reduce((sum, e) => sum + e.count, 0),
    failedRequests: 'trues' in failedRate ? failedRate.trues : 0,
    maxVUsUsed: engine.maxVUsUsed,
    endpoints,
    series: metrics.series,
  };
  record.generator = generator.finish(engine.dropped);
  if (record.generator.warning) progress(`Warning: ${record.generator.warning}`);

  // Verdict: thresholds over the whole run; SLOs and the alert gate from Prometheus.
  const checks: VerdictCheck[] = thresholds.map((threshold) => evaluateThreshold(threshold, metrics, engine.durationMs));
  if (prometheus) {
    const endSeconds = endWall / 1_000;
    await prometheus.waitForScrapeAfter(endSeconds);
    for (const slo of scenario.slos ?? []) checks.push(await evaluateSlo(slo, prometheus, endSeconds, engine.durationMs));
    if ((scenario.alerts ?? 'none') === 'none') checks.push(await evaluateNoAlerts(prometheus, endSeconds, engine.durationMs));
    record.server = await Promise.all(
      SERVER_SERIES.map(async (series) => {
        const answer = await prometheus.queryRange(series.query, startedWall / 1_000, endSeconds, 1);
        const values = answer.ok ? (answer.series[0]?.values ?? []) : [];
        return { ...series, points: values.map(([at, value]) => ({ t: Math.round((at - startedWall / 1_000) * 10) / 10, value: Number(value) })).filter((p) => Number.isFinite(p.value)) };
      }),
    );
  } else if (scenario.slos?.length) {
    for (const slo of scenario.slos) checks.push({ kind: 'slo', name: slo.name, expression: slo.query, target: `${slo.operator} ${slo.target}`, observed: null, window: windowOf(slo, engine.durationMs), ok: true, note: 'skipped: --target has no Prometheus of the stack' });
  }
  const failed = checks.filter((check) => !check.ok);
  const reasons = [
    ...(interrupted ? ['interrupted'] : []),
    ...(abortedBy ? [`aborted by threshold ${abortedBy}`] : []),
    ...failed.map((check) => `${check.kind} ${check.name}: ${check.expression} (observed ${check.observed ?? 'no data'}, target ${check.target}${check.note ? `; ${check.note}` : ''})`),
  ];
  const exitCode = interrupted ? ExitCode.interrupted : failed.length || abortedBy ? ExitCode.thresholdsFailed : ExitCode.passed;
  record.verdict = { ok: exitCode === ExitCode.passed, exitCode, reasons, checks };
  record.status = interrupted ? 'interrupted' : abortedBy ? 'aborted' : 'finished';
  record.finishedAt = new Date(endWall).toISOString();
  record.durationMs = Math.round(engine.durationMs);
  writer.write(record);
  return { record, dir: writer.dir, exitCode };
}

const round = (value: number) => Math.round(value * 100) / 100;
