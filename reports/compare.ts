import type { RunRecord } from '../harness/index.ts';

// Two runs side by side (say last night's and tonight's): every check, every endpoint
// percentile, throughput and error rate, with the delta and whether it got worse. Latency is
// "worse" only past a relative and an absolute margin together, so 2.1 ms against 2.0 ms on
// loopback is not a regression and 900 ms against 600 ms is.

export interface ComparisonRow {
  section: 'check' | 'latency' | 'throughput' | 'errors';
  name: string;
  /** Baseline value (the first run), null when it has none. */
  before: number | null;
  after: number | null;
  unit: string;
  /** after − before; null when either is missing. */
  delta: number | null;
  /** Relative change (0.25 = +25 %); null when either is missing or the baseline is 0. */
  change: number | null;
  verdict: 'worse' | 'better' | 'same' | 'new' | 'gone';
  /** For checks: pass/fail in each run. */
  before_ok?: boolean | null;
  after_ok?: boolean | null;
  note?: string;
}

export interface Comparison {
  before: { id: string; name: string; startedAt: string; ok: boolean | null; exitCode: number | null };
  after: { id: string; name: string; startedAt: string; ok: boolean | null; exitCode: number | null };
  rows: ComparisonRow[];
  regressions: number;
  improvements: number;
  /** Said when the two runs are not of the same scenario or scale: the deltas mean less. */
  caveats: string[];
}

export interface CompareOptions {
  /** A latency is worse when it grew by more than this share... (default 0.10) */
  latencyRatio?: number;
  /** ...and by more than this many ms (default 5). */
  latencyMs?: number;
  /** Throughput is worse when it fell by more than this share (default 0.10). */
  throughputRatio?: number;
  /** The error rate is worse when it rose by more than this many percentage points (default 0.5). */
  errorPoints?: number;
}

function summary(record: RunRecord): Comparison['before'] {
  return { id: record.id, name: record.name, startedAt: record.startedAt, ok: record.verdict?.ok ?? null, exitCode: record.verdict?.exitCode ?? null };
}

function row(section: ComparisonRow['section'], name: string, unit: string, before: number | null, after: number | null, worse: (b: number, a: number) => boolean, better: (b: number, a: number) => boolean): ComparisonRow {
  const delta = before !== null && after !== null ? after - before : null;
  const change = before !== null && after !== null && before !== 0 ? (after - before) / before : null;
  const verdict: ComparisonRow['verdict'] = before === null ? 'new' : after === null ? 'gone' : worse(before, after) ? 'worse' : better(before, after) ? 'better' : 'same';
  return { section, name, before, after, unit, delta, change, verdict };
}

export function compareRuns(before: RunRecord, after: RunRecord, options: CompareOptions = {}): Comparison {
  const latencyRatio = options.latencyRatio ?? 0.1;
  const latencyMs = options.latencyMs ?? 5;
  const throughputRatio = options.throughputRatio ?? 0.1;
  const errorPoints = options.errorPoints ?? 0.5;
  const rows: ComparisonRow[] = [];

  // Checks, matched by kind, name and expression: a flip from pass to fail is the regression
  // that matters most, whatever the numbers did.
  const key = (c: { kind: string; name: string; expression: string }) => `${c.kind}\u0000${c.name}\u0000${c.expression}`;
  const beforeChecks = new Map((before.verdict?.checks ?? []).map((c) => [key(c), c]));
  const afterChecks = new Map((after.verdict?.checks ?? []).map((c) => [key(c), c]));
  for (const k of new Set([...beforeChecks.keys(), ...afterChecks.keys()])) {
    const b = beforeChecks.get(k);
    const a = afterChecks.get(k);
    const c = (a ?? b)!;
    const r = row('check', `${c.kind}: ${c.name} ${c.expression}`, '', b?.observed ?? null, a?.observed ?? null, () => false, () => false);
    r.before_ok = b ? b.ok : null;
    r.after_ok = a ? a.ok : null;
    r.verdict = !b ? 'new' : !a ? 'gone' : b.ok && !a.ok ? 'worse' : !b.ok && a.ok ? 'better' : 'same';
    if (b && a && b.ok && !a.ok) r.note = `now fails: target ${a.target}`;
    if (b && a && !b.ok && a.ok) r.note = 'now passes';
    rows.push(r);
  }

  // Latency per endpoint and percentile.
  const worseLatency = (b: number, a: number) => a > b * (1 + latencyRatio) && a - b > latencyMs;
  const betterLatency = (b: number, a: number) => b > a * (1 + latencyRatio) && b - a > latencyMs;
  for (const endpoint of [...new Set([...Object.keys(before.client.endpoints), ...Object.keys(after.client.endpoints)])].sort()) {
    const b = before.client.endpoints[endpoint];
    const a = after.client.endpoints[endpoint];
    for (const p of ['p50', 'p90', 'p95', 'p99', 'max'] as const) {
      rows.push(row('latency', `${endpoint} ${p}`, 'ms', b?.[p] ?? null, a?.[p] ?? null, worseLatency, betterLatency));
    }
  }

  // Throughput and errors over the whole run.
  const rate = (r: RunRecord) => (r.durationMs ? r.client.requests / (r.durationMs / 1_000) : null);
  rows.push(row('throughput', 'requests/s', 'req/s', rate(before), rate(after), (b, a) => a < b * (1 - throughputRatio), (b, a) => a > b * (1 + throughputRatio)));
  const errorRate = (r: RunRecord) => (r.client.requests ? (r.client.failedRequests / r.client.requests) * 100 : null);
  rows.push(row('errors', 'failed requests', '%', errorRate(before), errorRate(after), (b, a) => a - b > errorPoints, (b, a) => b - a > errorPoints));

  const caveats: string[] = [];
  if (before.name !== after.name) caveats.push(`different scenarios: ${before.name} and ${after.name}`);
  if (before.scale !== after.scale) caveats.push(`different scales: ${before.scale} and ${after.scale}`);
  if (before.driver !== after.driver) caveats.push(`different drivers: ${before.driver} and ${after.driver} (latency measured differently)`);
  if (before.provider !== after.provider) caveats.push(`different providers: ${before.provider} and ${after.provider}`);
  return {
    before: summary(before),
    after: summary(after),
    rows,
    regressions: rows.filter((r) => r.verdict === 'worse').length,
    improvements: rows.filter((r) => r.verdict === 'better').length,
    caveats,
  };
}

/** A delta as text: "+12.3 ms (+25 %)". */
export function formatDelta(r: ComparisonRow): string {
  if (r.delta === null) return '–';
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±';
  const abs = Math.abs(r.delta);
  const value = `${sign}${abs >= 100 ? abs.toFixed(0) : abs.toFixed(2)}${r.unit ? ` ${r.unit}` : ''}`;
  return r.change === null ? value : `${value} (${r.change >= 0 ? '+' : '−'}${Math.abs(r.change * 100).toFixed(0)} %)`;
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '–';
  return `${Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2)}${unit ? ` ${unit}` : ''}`;
}
