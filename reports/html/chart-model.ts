import type { RunRecord } from '../../harness/index.ts';

// What the report's charts draw, derived from run.json: aligned columns per chart (uPlot's data
// shape), the run's timeline split into stages, fault windows and marks, and per-endpoint
// percentile curves. Only what is drawn is embedded, rounded to what a reader can see, so a
// one-hour run's report stays well under its 2 MB budget (bench:report).

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartSpec {
  id: string;
  title: string;
  /** What the y axis counts ("ms", "req/s", "%", ...). */
  unit: string;
  /** `time`: x is seconds since the workload started; `percentile`: x is the percentile. */
  kind: 'time' | 'percentile';
  x: number[];
  series: ChartSeries[];
  /** One sentence for screen readers and the figure's caption. */
  caption: string;
}

export interface TimelineModel {
  stages: { t: number; label: string }[];
  /** Fault windows: injected at `from`, reverted at `to` (the run's end when never reverted). */
  faults: { from: number; to: number; label: string; reverted: boolean }[];
  /** Canary weight steps, decisions, aborts and notes. */
  marks: { t: number; kind: 'canary-weight' | 'decision' | 'abort' | 'note'; label: string }[];
  end: number;
}

export interface ReportModel {
  charts: ChartSpec[];
  timeline: TimelineModel;
}

/** Two decimals at most: finer than any chart shows, and a third of the bytes of full floats. */
const round = (value: number) => Math.round(value * 100) / 100;

export function timelineOf(record: RunRecord): TimelineModel {
  const lastPoint = record.client.overall.at(-1)?.t ?? 0;
  const end = Math.max(lastPoint + 1, (record.durationMs ?? 0) / 1_000);
  const stages = record.timeline.filter((e) => e.kind === 'stage').map((e) => ({ t: e.t, label: e.label }));
  const faults: TimelineModel['faults'] = [];
  const open: { t: number; label: string }[] = [];
  for (const event of record.timeline) {
    if (event.kind === 'fault-injected') open.push({ t: event.t, label: event.label });
    if (event.kind === 'fault-reverted') {
      // A revert closes the injection with the same label, else the oldest one still open.
      const at = Math.max(0, open.findIndex((f) => f.label === event.label));
      const injected = open.splice(at, 1)[0];
      if (injected) faults.push({ from: injected.t, to: event.t, label: injected.label, reverted: true });
    }
  }
  for (const injected of open) faults.push({ from: injected.t, to: end, label: injected.label, reverted: false });
  const marks = record.timeline
    .filter((e): e is typeof e & { kind: TimelineModel['marks'][number]['kind'] } => e.kind === 'canary-weight' || e.kind === 'decision' || e.kind === 'abort' || e.kind === 'note')
    .map((e) => ({ t: e.t, kind: e.kind, label: e.label }));
  return { stages, faults, marks, end };
}

/** Seconds 0..n-1 and, per series, the value at each second (`missing` where the run had none). */
function columns<P extends { t: number }>(points: readonly P[], pick: Record<string, (p: P) => number | null>, missing: number | null = null): { x: number[]; series: ChartSeries[] } {
  const byT = new Map(points.map((p) => [p.t, p]));
  const last = points.reduce((max, p) => Math.max(max, p.t), -1);
  const x = Array.from({ length: last + 1 }, (_, t) => t);
  const series = Object.entries(pick).map(([label, get]) => ({
    label,
    values: x.map((t) => {
      const p = byT.get(t);
      const value = p === undefined ? null : get(p);
      return value === null ? missing : round(value);
    }),
  }));
  return { x, series };
}

const SERVER_UNITS: Record<string, { unit: string; scale: number }> = {
  s: { unit: 'ms', scale: 1_000 },
  ratio: { unit: '%', scale: 100 },
};

export function buildReportModel(record: RunRecord): ReportModel {
  const charts: ChartSpec[] = [];
  const overall = record.client.overall;
  if (overall.length > 0) {
    charts.push({
      id: 'throughput',
      title: 'Throughput',
      unit: 'req/s',
      kind: 'time',
      // A second with no answer is a real zero of throughput, not a gap.
      ...columns(overall, { 'requests/s': (p) => p.count, 'failed/s': (p) => p.errors }, 0),
      caption: 'Requests answered per second, all endpoints, and how many of them failed.',
    });
    charts.push({
      id: 'error-rate',
      title: 'Error rate',
      unit: '%',
      kind: 'time',
      ...columns(overall, { 'failed %': (p) => (p.count ? (p.errors / p.count) * 100 : 0) }),
      caption: 'Share of the requests answered in each second that failed.',
    });
  }
  const endpoints = [...new Set(record.client.series.map((p) => p.endpoint))].sort();
  for (const endpoint of endpoints) {
    const points = record.client.series.filter((p) => p.endpoint === endpoint);
    charts.push({
      id: `latency-${endpoint}`,
      title: `Latency: ${endpoint}`,
      unit: 'ms',
      kind: 'time',
      ...columns(points, { p50: (p) => p.p50, p90: (p) => p.p90, p95: (p) => p.p95, p99: (p) => p.p99 }),
      caption: `Client latency percentiles of ${endpoint} per second.`,
    });
  }
  for (const series of record.server) {
    if (series.points.length === 0) continue;
    const { unit, scale } = SERVER_UNITS[series.unit] ?? { unit: series.unit, scale: 1 };
    // Prometheus steps are whole seconds here; rounding lines them up with the client's seconds.
    const points = series.points.map((p) => ({ t: Math.round(p.t), value: p.value * scale })).filter((p) => p.t >= 0);
    charts.push({
      id: `server-${series.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
      title: `Server: ${series.name}`,
      unit,
      kind: 'time',
      ...columns(points, { [series.name]: (p) => p.value }),
      caption: `From the stack's Prometheus: ${series.query}`,
    });
  }
  if (record.generator && record.generator.cpu.length > 0) {
    charts.push({
      id: 'generator-cpu',
      title: 'Generator CPU',
      unit: 'cores',
      kind: 'time',
      ...columns(record.generator.cpu, { 'generator CPU (cores)': (p) => p.cores }),
      caption: 'CPU the load generator used per second, in cores: near 1 per thread means the generator, not the system, may have been the limit.',
    });
  }
  const host = record.generator?.host;
  if (host && host.series.length > 0) {
    charts.push({
      id: 'machine-stalls',
      title: 'Machine: time lost',
      unit: '% of each second',
      kind: 'time',
      ...columns(host.series, { 'CPU steal': (p) => p.stealPct, 'I/O stall': (p) => p.ioPct, 'memory stall': (p) => p.memoryPct }),
      caption: 'Time the machine took from everything on it: CPU the hypervisor gave to others (steal), and time a task waited on the disk or on reclaimed memory (Linux PSI "some"). A slow second here is a slow second for the SUT too.',
    });
  }
  const database = record.analysis.database;
  if (database && database.seconds.length > 0) {
    charts.push({
      id: 'database-statements',
      title: 'Database: oldest running statement',
      unit: 's',
      kind: 'time',
      // An unsampled second is a gap (null), not a zero.
      ...columns(database.seconds, { 'oldest statement on the primary (s)': (p) => p.longestMs / 1_000 }),
      caption: 'Age of the oldest statement running on the primary, sampled by the harness from pg_stat_activity once a second (the bound the experiment judges it by is in the checks above). Runaway work the database does not bound climbs here one second a second.',
    });
  }
  const curves = Object.entries(record.client.endpoints).filter(([, e]) => e.distribution && e.distribution.length > 1);
  if (curves.length > 0) {
    const ps = [...new Set(curves.flatMap(([, e]) => e.distribution!.map((d) => d.p)))].sort((a, b) => a - b);
    charts.push({
      id: 'latency-distribution',
      title: 'Latency distribution (HDR percentiles)',
      unit: 'ms',
      kind: 'percentile',
      x: ps,
      series: curves.map(([name, e]) => {
        const at = new Map(e.distribution!.map((d) => [d.p, d.ms]));
        return { label: name, values: ps.map((p) => (at.has(p) ? round(at.get(p)!) : null)) };
      }),
      caption: 'Latency at each percentile over the whole run, per endpoint; the x axis stretches the tail (90 %, 99 %, 99.9 %).',
    });
  }
  return { charts, timeline: timelineOf(record) };
}
