import type { MetricName } from '../verdict/thresholds.ts';
import type { MetricRegistry, RequestSample, Tags } from '../metrics/registry.ts';

/** What the engine and the HTTP client record into: the registry, or a forwarder to it. */
export type MetricSink = Pick<MetricRegistry, 'request' | 'count' | 'rate' | 'trend' | 'gauge'>;

/** One recorded call, as it crosses from a worker thread to the main thread. */
export type Recorded =
  | ['request', RequestSample]
  | ['count', MetricName, number, Tags]
  | ['rate', MetricName, boolean, Tags]
  | ['trend', MetricName, number, Tags]
  | ['gauge', MetricName, number];

/**
 * A worker thread's metrics: every call is buffered and shipped to the main thread in batches
 * (`flush`), where `replay` records it into the one registry of the run. Samples, not merged
 * histograms, cross the thread boundary: the main thread then keeps every view a single
 * thread would (submetrics, per-second series, windows) with no merge logic of its own, at a
 * few microseconds per sample on the main thread.
 */
export class ForwardingMetrics implements MetricSink {
  #batch: Recorded[] = [];

  request(sample: RequestSample): void {
    this.#batch.push(['request', sample]);
  }

  count(metric: MetricName, n = 1, tags: Tags = {}): void {
    this.#batch.push(['count', metric, n, tags]);
  }

  rate(metric: MetricName, hit: boolean, tags: Tags = {}): void {
    this.#batch.push(['rate', metric, hit, tags]);
  }

  trend(metric: MetricName, ms: number, tags: Tags = {}): void {
    this.#batch.push(['trend', metric, ms, tags]);
  }

  gauge(metric: MetricName, value: number): void {
    this.#batch.push(['gauge', metric, value]);
  }

  /** The calls since the last flush, in order. */
  flush(): Recorded[] {
    const batch = this.#batch;
    this.#batch = [];
    return batch;
  }
}

/** Records a worker's batch into the run's registry, in the order the worker made the calls. */
export function replay(metrics: MetricSink, batch: readonly Recorded[], gauges: { vus: number[]; index: number }): void {
  for (const call of batch) {
    switch (call[0]) {
      case 'request':
        metrics.request(call[1]);
        break;
      case 'count':
        metrics.count(call[1], call[2], call[3]);
        break;
      case 'rate':
        metrics.rate(call[1], call[2], call[3]);
        break;
      case 'trend':
        metrics.trend(call[1], call[2], call[3]);
        break;
      case 'gauge':
        // Gauges are per worker (its active VUs): the run's value is their sum.
        if (call[1] === 'vus') {
          gauges.vus[gauges.index] = call[2];
          metrics.gauge('vus', gauges.vus.reduce((a, b) => a + b, 0));
        }
        break;
    }
  }
}
