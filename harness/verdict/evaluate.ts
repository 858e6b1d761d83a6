import { formatDuration } from '../duration.ts';
import type { MetricRegistry } from '../metrics/registry.ts';
import type { PrometheusClient } from '../prometheus-client.ts';
import type { VerdictCheck } from '../run/record.ts';
import type { SloInput } from '../scenario.ts';
import { holds, type Threshold } from './thresholds.ts';

/** A threshold against the run so far (k6: all data since the start; no samples passes). */
export function evaluateThreshold(threshold: Threshold, metrics: MetricRegistry, elapsedMs: number): VerdictCheck {
  const sink = metrics.sink(threshold.selector);
  const observed = sink.empty ? null : sink.value(threshold.aggregation, elapsedMs);
  return {
    kind: 'threshold',
    name: threshold.selector.key,
    expression: threshold.source,
    target: `${threshold.stat} ${threshold.operator} ${threshold.target}`,
    observed: observed === null ? null : Math.round(observed * 1_000) / 1_000,
    window: 'run',
    ok: observed === null ? true : holds(threshold.operator, observed, threshold.target),
    ...(observed === null ? { note: 'no samples: passes, as in k6' } : {}),
  };
}

export const windowOf = (slo: SloInput, runMs: number) => (slo.window && slo.window !== 'run' ? slo.window : `${Math.max(1, Math.ceil(runMs / 1_000))}s`);

/** An SLO by the stack's Prometheus at `endSeconds`; no data fails unless the SLO says otherwise. */
export async function evaluateSlo(slo: SloInput, prometheus: PrometheusClient, endSeconds: number, runMs: number): Promise<VerdictCheck> {
  const window = windowOf(slo, runMs);
  const expression = slo.query.replaceAll('$window', window);
  const base = { kind: 'slo' as const, name: slo.name, expression, target: `${slo.operator} ${slo.target}`, window };
  const answer = await prometheus.query(expression, endSeconds);
  if (!answer.ok) return { ...base, observed: null, ok: false, note: `query failed: ${answer.error}` };
  const values = answer.series.map((series) => Number(series.value?.[1])).filter((value) => !Number.isNaN(value));
  if (values.length === 0) {
    const pass = slo.noData === 'pass';
    return { ...base, observed: null, ok: pass, note: pass ? 'no data: passes (noData: pass)' : 'no data: fails (set noData: pass to allow)' };
  }
  // Several series (one per service): every one must hold; the worst is reported.
  const worst = slo.operator.startsWith('<') ? Math.max(...values) : Math.min(...values);
  return { ...base, observed: Math.round(worst * 10_000) / 10_000, ok: values.every((value) => holds(slo.operator, value, slo.target)) };
}

/** The alert gate "no alert fires": any alert firing at any point of the window fails it. */
export async function evaluateNoAlerts(prometheus: PrometheusClient, endSeconds: number, runMs: number): Promise<VerdictCheck> {
  const window = `${Math.max(1, Math.ceil(runMs / 1_000))}s`;
  const expression = `max_over_time(ALERTS{alertstate="firing"}[${window}])`;
  const answer = await prometheus.query(expression, endSeconds);
  const fired = answer.ok ? [...new Set(answer.series.map((series) => series.metric.alertname ?? '?'))] : [];
  return {
    kind: 'alert',
    name: 'no alert fires',
    expression,
    target: 'no firing alerts',
    observed: answer.ok ? fired.length : null,
    window: formatDuration(runMs),
    ok: answer.ok && fired.length === 0,
    ...(fired.length ? { note: `fired: ${fired.join(', ')}` } : answer.ok ? {} : { note: `query failed: ${answer.error}` }),
  };
}
