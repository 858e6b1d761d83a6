import type { PrometheusClient } from '../prometheus-client.ts';
import type { ScenarioDefinition } from '../scenario.ts';
import { evaluateNoAlerts, evaluateSlo, windowOf } from '../verdict/evaluate.ts';
import { analyseDrift, analyseRecovery, type BreakpointSearch, type driftWindows, type RecoveryWindows } from './analysis.ts';
import type { RunRecord, ServerSeries, VerdictCheck } from './record.ts';

// After the load: what the stack's Prometheus says (SLOs, the alert gate, the series the
// report draws) and what the scenario's analyses measured.

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
 * The server side of the verdict, from the stack's Prometheus once it has scraped past the end:
 * the SLOs over the run (unless a breakpoint judges them per step), the alert gate, and the
 * series the report draws. With --target there is no Prometheus: SLOs are reported as skipped.
 */
export async function judgeOnServer(
  scenario: ScenarioDefinition,
  prometheus: PrometheusClient | null,
  run: { runStartSeconds: number; endSeconds: number; durationMs: number; slosPerStep: boolean },
): Promise<{ checks: VerdictCheck[]; series: ServerSeries[] }> {
  const checks: VerdictCheck[] = [];
  const slos = run.slosPerStep ? [] : (scenario.slos ?? []);
  if (!prometheus) {
    for (const slo of slos) checks.push({ kind: 'slo', name: slo.name, expression: slo.query, target: `${slo.operator} ${slo.target}`, observed: null, window: windowOf(slo, run.durationMs), ok: true, note: 'skipped: --target has no Prometheus of the stack' });
    return { checks, series: [] };
  }
  await prometheus.waitForScrapeAfter(run.endSeconds);
  for (const slo of slos) checks.push(await evaluateSlo(slo, prometheus, run.endSeconds, run.durationMs));
  if ((scenario.alerts ?? 'none') === 'none') checks.push(await evaluateNoAlerts(prometheus, run.endSeconds, run.durationMs));
  const series = await Promise.all(
    SERVER_SERIES.map(async (series) => {
      const answer = await prometheus.queryRange(series.query, run.runStartSeconds, run.endSeconds, 1);
      const values = answer.ok ? (answer.series[0]?.values ?? []) : [];
      return { ...series, points: values.map(([at, value]) => ({ t: Math.round((at - run.runStartSeconds) * 10) / 10, value: Number(value) })).filter((p) => Number.isFinite(p.value)) };
    }),
  );
  return { checks, series };
}

/** The breakpoint's knee, the spike's recovery and the soak's drift, for the scenarios that ask. */
export async function analyse(
  scenario: ScenarioDefinition,
  context: { breakpoint: BreakpointSearch | null; recoveryAt: RecoveryWindows | null; driftAt: ReturnType<typeof driftWindows> | null; prometheus: PrometheusClient | null; runStartSeconds: number; runSeconds: number; source: string },
): Promise<{ analysis: RunRecord['analysis']; checks: VerdictCheck[] }> {
  const analysis: RunRecord['analysis'] = { breakpoint: null, recovery: null, drift: null };
  const checks: VerdictCheck[] = [];
  const { prometheus, runStartSeconds, runSeconds } = context;
  if (context.breakpoint) {
    const { result, checks: more } = await context.breakpoint.finish({ slos: scenario.slos ?? [], prometheus, runStartSeconds, runSeconds });
    analysis.breakpoint = result;
    checks.push(...more);
  }
  if (scenario.recovery && context.recoveryAt) {
    const { result, checks: more } = analyseRecovery(scenario.recovery, context.recoveryAt, runSeconds, context.source);
    analysis.recovery = result;
    checks.push(...more);
  }
  if (scenario.drift && context.driftAt) {
    const { result, checks: more } = await analyseDrift(scenario.drift, context.driftAt, { prometheus, runStartSeconds, runSeconds });
    analysis.drift = result;
    checks.push(...more);
  }
  return { analysis, checks };
}

