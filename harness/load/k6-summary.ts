import { RushhourError } from '../errors.ts';
import type { RunRecord, VerdictCheck } from '../run/record.ts';
import { parseSelector, type Threshold } from '../verdict/thresholds.ts';

// k6's end-of-test summary, as its handleSummary() receives it (the twins write it to a file):
// { state: { testRunDurationMs }, metrics: { <name or name{tag:value}>: { type, contains,
// values: { avg, min, med, max, 'p(N)', count, rate, passes, fails, value }, thresholds?:
// { <expression>: { ok } } } } }. (Not the older --summary-export file, whose threshold booleans
// are true when the threshold *failed*, k6 #1498.) Trend values are in milliseconds.

interface K6Metric {
  type: 'trend' | 'rate' | 'counter' | 'gauge';
  contains?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6Summary {
  state?: { testRunDurationMs?: number };
  metrics: Record<string, K6Metric>;
}

export interface ImportedK6Run {
  durationMs: number;
  client: Omit<RunRecord['client'], 'series' | 'overall'>;
  /** k6's own verdict on each of the scenario's thresholds, with the observed value. */
  checks: VerdictCheck[];
}

const round = (value: number) => Math.round(value * 1_000) / 1_000;

/** Reads a summary, failing with the file and field named when it is not one. */
export function parseK6Summary(text: string, file: string): K6Summary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RushhourError('RUSHHOUR_ERR_K6_SUMMARY_INVALID', `${file}: not JSON: ${(error as Error).message}`);
  }
  const metrics = (data as { metrics?: unknown })?.metrics;
  if (!metrics || typeof metrics !== 'object') throw new RushhourError('RUSHHOUR_ERR_K6_SUMMARY_INVALID', `${file}: metrics: missing (is this a k6 handleSummary() summary?)`);
  for (const [name, metric] of Object.entries(metrics)) {
    if (!metric || typeof metric !== 'object' || typeof (metric as K6Metric).values !== 'object') {
      throw new RushhourError('RUSHHOUR_ERR_K6_SUMMARY_INVALID', `${file}: metrics["${name}"].values: missing`);
    }
  }
  return data as K6Summary;
}

/**
 * Imports a k6 summary into the run record's terms: totals, per-endpoint latency (from the
 * `{endpoint:...}` submetrics the twins declare), and the scenario's thresholds with k6's own
 * pass/fail and the value each was judged on. A threshold k6 did not report is a failed check:
 * the run did not measure what the scenario asked.
 */
export function importK6Summary(summary: K6Summary, thresholds: readonly Threshold[]): ImportedK6Run {
  // Submetric names as k6 prints them (`http_req_duration{endpoint:search}`), by canonical key.
  const byKey = new Map<string, K6Metric>();
  for (const [name, metric] of Object.entries(summary.metrics)) {
    try {
      byKey.set(parseSelector(name, 'k6 summary').key, metric);
    } catch {
      byKey.set(name, metric);
    }
  }
  const value = (key: string, stat: string): number | null => {
    const found = byKey.get(key)?.values[stat];
    return typeof found === 'number' && Number.isFinite(found) ? found : null;
  };

  const endpoints: RunRecord['client']['endpoints'] = {};
  for (const [key, metric] of byKey) {
    const match = /^http_req_duration\{endpoint:([^,}]+)\}$/.exec(key);
    if (!match || metric.type !== 'trend') continue;
    const endpoint = match[1]!;
    const v = metric.values;
    const count = v.count ?? 0;
    if (count === 0) continue;
    endpoints[endpoint] = {
      count,
      failed: value(`http_req_failed{endpoint:${endpoint}}`, 'passes') ?? 0,
      avg: round(v.avg ?? 0),
      p50: round(v.med ?? v['p(50)'] ?? 0),
      p90: round(v['p(90)'] ?? 0),
      p95: round(v['p(95)'] ?? 0),
      p99: round(v['p(99)'] ?? 0),
      max: round(v.max ?? 0),
    };
  }

  const checks: VerdictCheck[] = thresholds.map((threshold) => {
    const metric = byKey.get(threshold.selector.key);
    const verdict = metric?.thresholds?.[threshold.source];
    const observed = value(threshold.selector.key, threshold.stat);
    const base = { kind: 'threshold' as const, name: threshold.selector.key, expression: threshold.source, target: `${threshold.stat} ${threshold.operator} ${threshold.target}`, observed: observed === null ? null : round(observed), window: 'run' };
    if (!verdict) return { ...base, ok: false, note: 'not in the k6 summary: k6 did not evaluate it' };
    return { ...base, ok: verdict.ok, note: 'judged by k6' };
  });

  return {
    durationMs: summary.state?.testRunDurationMs ?? 0,
    client: {
      iterations: value('iterations', 'count') ?? 0,
      dropped: value('dropped_iterations', 'count') ?? 0,
      iterationErrors: 0,
      requests: value('http_reqs', 'count') ?? 0,
      failedRequests: value('http_req_failed', 'passes') ?? 0,
      maxVUsUsed: value('vus_max', 'max') ?? value('vus_max', 'value') ?? 0,
      endpoints,
    },
    checks,
  };
}
