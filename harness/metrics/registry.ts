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
  /** Only this endpoint's requests; every endpoint when absent. */
  endpoint?: string;
  trend: TrendSink;
  requests: number;
  failed: number;
}

class SecondBucket {
  readonly histogram = newHistogram();
  count = 0;
  errors = 0;

  record(micros: number, failed: boolean): void {
    this.histogram.recordValue(micros);
    this.count++;
    if (failed) this.errors++;
  }
}

/** A finished request, as the client reports it. */
export interface RequestSample {
  endpoint: string;
  method: string;
  status: number;
  failed: boolean;
  latencyMs: number;
  waitingMs: number;
  /** Second of the run the answer came in. */
  second: number;
  /** Second of the run the request was due (its intended start). */
  startSecond: number;
  bytes: number;
  /** The version that served the answer, when the run asked for it (canaries). */
  version?: string;
}

interface Route {
  duration: TrendSink[];
  waiting: TrendSink[];
  failed: RateSink[];
  reqs: CounterSink[];
  received: CounterSink[];
  endpoint: { trend: TrendSink; failed: number };
}

const NO_TAGS: Tags = Object.freeze({});

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
  readonly #routes = new Map<string, Route>();
  readonly #observers: ((sample: RequestSample) => void)[] = [];

  constructor() {
    for (const [name, type] of Object.entries(METRIC_TYPES)) this.#base.set(name as MetricName, newSink(type));
  }

  /** Declares a submetric (idempotent); samples recorded from now on reach it. */
  watch(selector: Selector): void {
    // An untagged selector is the metric itself (see `sink`), never a submetric.
    if (Object.keys(selector.tags).length === 0) return;
    const list = this.#sub.get(selector.metric) ?? [];
    if (!list.some((entry) => entry.selector.key === selector.key)) list.push({ selector, sink: newSink(selector.type) });
    this.#sub.set(selector.metric, list);
    this.#routes.clear();
  }

  sink(selector: Pick<Selector, 'metric' | 'key' | 'tags'>): AnySink {
    if (Object.keys(selector.tags).length === 0) return this.#base.get(selector.metric)!;
    const found = this.#sub.get(selector.metric)?.find((entry) => entry.selector.key === selector.key);
    if (!found) throw new Error(`submetric ${selector.key} was not declared`);
    return found.sink;
  }

  /** The sinks a sample with these tags reaches: the metric's own and every matching submetric. */
  #sinks(metric: MetricName, tags: Tags): AnySink[] {
    const base = this.#base.get(metric)!;
    const subs = this.#sub.get(metric);
    // Untagged samples (iterations, dropped_iterations) reach no submetric: submetrics have tags.
    if (!subs || tags === NO_TAGS) return [base];
    const sinks = [base];
    for (const { selector, sink } of subs) {
      let match = true;
      for (const key in selector.tags) if (tags[key] !== selector.tags[key]) match = false;
      if (match) sinks.push(sink);
    }
    return sinks;
  }

  trend(metric: MetricName, ms: number, tags: Tags = NO_TAGS): void {
    for (const sink of this.#sinks(metric, tags)) (sink as TrendSink).add(ms);
  }

  count(metric: MetricName, n = 1, tags: Tags = NO_TAGS): void {
    for (const sink of this.#sinks(metric, tags)) (sink as CounterSink).add(n);
  }

  rate(metric: MetricName, hit: boolean, tags: Tags = NO_TAGS): void {
    for (const sink of this.#sinks(metric, tags)) (sink as RateSink).add(hit);
  }

  gauge(metric: MetricName, value: number): void {
    (this.#base.get(metric) as GaugeSink).set(value);
  }

  /**
   * Declares a window of the run, [fromSecond, toSecond), collecting the requests *started* in
   * it (by intended start): a breakpoint step is judged on what was sent during the step, even
   * when the answers come after it.
   */
  window(label: string, fromSecond: number, toSecond: number, endpoint?: string): TimeWindow {
    const window: TimeWindow = { label, fromSecond, toSecond, endpoint, trend: new TrendSink(), requests: 0, failed: 0 };
    this.#windows.push(window);
    return window;
  }

  /**
   * The sinks of one kind of request (endpoint, method, status, expected or not), resolved once
   * and reused: matching submetrics per sample was a measurable share of the generator's CPU
   * at 15k req/s. Cleared when a submetric is declared.
   */
  #route(sample: RequestSample): Route {
    const key = `${sample.endpoint}\u0000${sample.method}\u0000${sample.status}\u0000${sample.failed}`;
    let route = this.#routes.get(key);
    if (route) return route;
    const tags = { endpoint: sample.endpoint, method: sample.method, status: String(sample.status), expected_response: String(!sample.failed) };
    let endpoint = this.endpoints.get(sample.endpoint);
    if (!endpoint) this.endpoints.set(sample.endpoint, (endpoint = { trend: new TrendSink(), failed: 0 }));
    route = {
      duration: [...(this.#sinks('http_req_duration', tags) as TrendSink[]), endpoint.trend],
      waiting: this.#sinks('http_req_waiting', tags) as TrendSink[],
      failed: this.#sinks('http_req_failed', tags) as RateSink[],
      reqs: this.#sinks('http_reqs', tags) as CounterSink[],
      received: this.#sinks('data_received', tags) as CounterSink[],
      endpoint,
    };
    this.#routes.set(key, route);
    return route;
  }

  /** Hands every finished request to `observer` as well (a canary's per-version sample book). */
  observe(observer: (sample: RequestSample) => void): void {
    this.#observers.push(observer);
  }

  /** A finished request: the k6 metrics plus this second's per-endpoint bucket. */
  request(sample: RequestSample): void {
    for (const observer of this.#observers) observer(sample);
    const route = this.#route(sample);
    for (const sink of route.duration) sink.add(sample.latencyMs);
    for (const sink of route.waiting) sink.add(sample.waitingMs);
    for (const sink of route.failed) sink.add(sample.failed);
    for (const sink of route.reqs) sink.add(1);
    for (const sink of route.received) sink.add(sample.bytes);
    if (sample.failed) route.endpoint.failed++;
    let seconds = this.#seconds.get(sample.second);
    if (!seconds) this.#seconds.set(sample.second, (seconds = new Map()));
    const micros = Math.max(1, Math.round(sample.latencyMs * 1_000));
    this.#bucket(seconds, sample.endpoint).record(micros, sample.failed);
    this.#bucket(seconds, ALL).record(micros, sample.failed);
    for (const window of this.#windows) {
      if (sample.startSecond < window.fromSecond || sample.startSecond >= window.toSecond) continue;
      if (window.endpoint !== undefined && window.endpoint !== sample.endpoint) continue;
      window.trend.add(sample.latencyMs);
      window.requests++;
      if (sample.failed) window.failed++;
    }
  }

  #bucket(seconds: Map<string, SecondBucket>, key: string): SecondBucket {
    let bucket = seconds.get(key);
    if (!bucket) seconds.set(key, (bucket = new SecondBucket()));
    return bucket;
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
