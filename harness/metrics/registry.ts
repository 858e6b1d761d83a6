import { METRIC_TYPES, type MetricName, type Selector } from '../verdict/thresholds.ts';
import { CounterSink, GaugeSink, newHistogram, newSink, percentileOf, RateSink, TrendSink, type AnySink } from './sinks.ts';

export type Tags = Readonly<Record<string, string>>;

/** One point of the per-endpoint, per-second client series (run record, report charts). */
export interface SeriesPoint {
  /** Seconds since the workload started. */
  t: number;
  endpoint: string;
  count: number;
  errors: number;
  /** Milliseconds, from that second's HDR histogram; latency from the intended send time. */
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** The key of the every-endpoint bucket: not a string an endpoint name can be. */
const ALL = '\u0000all';

/** Requests started within [fromSecond, toSecond) of the run (see `MetricRegistry.window`). */
export interface TimeWindow {
  label: string;
  fromSecond: number;
  toSecond: number;
  trend: TrendSink;
  requests: number;
  failed: number;
}

interface SecondBucket {
  histogram: ReturnType<typeof newHistogram>;
  count: number;
  errors: number;
}

/**
 * Every client metric of a run. A sample goes to its metric's sink and to every submetric
 * sink whose tags it carries (k6's model: submetrics are declared up front, by thresholds
 * and by the per-endpoint tables, so recording stays O(submetrics) with no tag-set explosion).
 */
export class MetricRegistry {
  readonly #base = new Map<MetricName, AnySink>();
  readonly #sub = new Map<string, { selector: Selector; sink: AnySink }[]>();
  readonly #seconds = new Map<number, Map<string, SecondBucket>>();
  readonly series: SeriesPoint[] = [];
  /** Per second, every endpoint together (`endpoint: 'all'`): what recovery and drift read. */
  readonly overall: SeriesPoint[] = [];
  /** Whole-run latency and failures per endpoint (the summary table). */
  readonly endpoints = new Map<string, { trend: TrendSink; failed: number }>();
  readonly #windows: TimeWindow[] = [];

  constructor() {
    for (const [name, type] of Object.entries(METRIC_TYPES)) this.#base.set(name as MetricName, newSink(type));
  }

  /** Declares a submetric (idempotent); samples recorded from now on reach it. */
  watch(selector: Selector): void {
    const list = this.#sub.get(selector.metric) ?? [];
    if (!list.some((entry) => entry.selector.key === selector.key)) list.push({ selector, sink: newSink(selector.type) });
    this.#sub.set(selector.metric, list);
  }

  sink(selector: Pick<Selector, 'metric' | 'key' | 'tags'>): AnySink {
    if (Object.keys(selector.tags).length === 0) return this.#base.get(selector.metric)!;
    const found = this.#sub.get(selector.metric)?.find((entry) => entry.selector.key === selector.key);
    if (!found) throw new Error(`submetric ${selector.key} was not declared`);
    return found.sink;
  }

  #each(metric: MetricName, tags: Tags, apply: (sink: AnySink) => void): void {
    apply(this.#base.get(metric)!);
    for (const { selector, sink } of this.#sub.get(metric) ?? []) {
      if (Object.entries(selector.tags).every(([key, value]) => tags[key] === value)) apply(sink);
    }
  }

  trend(metric: MetricName, ms: number, tags: Tags = {}): void {
    this.#each(metric, tags, (sink) => (sink as TrendSink).add(ms));
  }

  count(metric: MetricName, n = 1, tags: Tags = {}): void {
    this.#each(metric, tags, (sink) => (sink as CounterSink).add(n));
  }

  rate(metric: MetricName, hit: boolean, tags: Tags = {}): void {
    this.#each(metric, tags, (sink) => (sink as RateSink).add(hit));
  }

  gauge(metric: MetricName, value: number): void {
    (this.#base.get(metric) as GaugeSink).set(value);
  }

  /**
   * Declares a window of the run, [fromSecond, toSecond), collecting the requests *started* in
   * it (by intended start): a breakpoint step is judged on what was sent during the step, even
   * when the answers come after it.
   */
  window(label: string, fromSecond: number, toSecond: number): TimeWindow {
    const window: TimeWindow = { label, fromSecond, toSecond, trend: new TrendSink(), requests: 0, failed: 0 };
    this.#windows.push(window);
    return window;
  }

  /** A finished request: the k6 metrics plus this second's per-endpoint bucket. */
  request(sample: { endpoint: string; method: string; status: number; failed: boolean; latencyMs: number; waitingMs: number; second: number; startSecond: number; bytes: number }): void {
    const tags = { endpoint: sample.endpoint, method: sample.method, status: String(sample.status), expected_response: String(!sample.failed) };
    this.trend('http_req_duration', sample.latencyMs, tags);
    this.trend('http_req_waiting', sample.waitingMs, tags);
    this.rate('http_req_failed', sample.failed, tags);
    this.count('http_reqs', 1, tags);
    this.count('data_received', sample.bytes, tags);
    let endpoint = this.endpoints.get(sample.endpoint);
    if (!endpoint) this.endpoints.set(sample.endpoint, (endpoint = { trend: new TrendSink(), failed: 0 }));
    endpoint.trend.add(sample.latencyMs);
    if (sample.failed) endpoint.failed++;
    let seconds = this.#seconds.get(sample.second);
    if (!seconds) this.#seconds.set(sample.second, (seconds = new Map()));
    for (const key of [sample.endpoint, ALL]) {
      let bucket = seconds.get(key);
      if (!bucket) seconds.set(key, (bucket = { histogram: newHistogram(), count: 0, errors: 0 }));
      bucket.histogram.recordValue(Math.max(1, Math.round(sample.latencyMs * 1_000)));
      bucket.count++;
      if (sample.failed) bucket.errors++;
    }
    for (const window of this.#windows) {
      if (sample.startSecond < window.fromSecond || sample.startSecond >= window.toSecond) continue;
      window.trend.add(sample.latencyMs);
      window.requests++;
      if (sample.failed) window.failed++;
    }
  }

  /** Closes every second before `second` into series points (in time order). */
  flushBefore(second: number): SeriesPoint[] {
    const closed: SeriesPoint[] = [];
    for (const t of [...this.#seconds.keys()].sort((a, b) => a - b)) {
      if (t >= second) break;
      for (const [endpoint, bucket] of this.#seconds.get(t)!) {
        const at = (p: number) => percentileOf(bucket.histogram, p) / 1_000;
        const point = { t, endpoint: endpoint === ALL ? 'all' : endpoint, count: bucket.count, errors: bucket.errors, p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: bucket.histogram.maxValue / 1_000 };
        if (endpoint === ALL) this.overall.push(point);
        else closed.push(point);
      }
      this.#seconds.delete(t);
    }
    this.series.push(...closed);
    return closed;
  }
}
