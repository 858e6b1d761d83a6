import hdr from 'hdr-histogram-js';
import type { Aggregation, MetricType } from '../verdict/thresholds.ts';

// Client-side metric sinks with k6's semantics, but a trend is an HDR histogram (µs, 3
// significant digits, mergeable and serialisable) instead of every sample kept and sorted:
// memory stays flat over a soak (k6 #763, #1068).

/** 1 µs to 1 hour, 3 significant digits: 0.1 % relative error at any latency. */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export interface Sink {
  readonly type: MetricType;
  /** No samples yet: k6 lets such a threshold pass. */
  readonly empty: boolean;
  /** The value of an aggregation; `elapsedMs` turns a counter's count into a per-second rate. */
  value(aggregation: Aggregation, elapsedMs: number): number;
}

export class TrendSink implements Sink {
  readonly type = 'trend' as const;
  readonly histogram = newHistogram();

  /** Adds a sample in milliseconds (fractional), stored as whole microseconds. */
  add(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1_000)));
  }

  get empty(): boolean {
    return this.histogram.totalCount === 0;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Percentile in milliseconds. */
  percentile(p: number): number {
    return this.histogram.getValueAtPercentile(p) / 1_000;
  }

  value(aggregation: Aggregation): number {
    const h = this.histogram;
    switch (aggregation.kind) {
      case 'percentile':
        return this.percentile(aggregation.p);
      case 'med':
        return this.percentile(50);
      case 'avg':
        return h.mean / 1_000;
      case 'min':
        return h.minNonZeroValue / 1_000;
      case 'max':
        return h.maxValue / 1_000;
      default:
        throw new Error(`${aggregation.kind} does not apply to a trend`);
    }
  }
}

export class CounterSink implements Sink {
  readonly type = 'counter' as const;
  count = 0;
  #touched = false;

  add(n = 1): void {
    this.count += n;
    this.#touched = true;
  }

  get empty(): boolean {
    return !this.#touched;
  }

  value(aggregation: Aggregation, elapsedMs: number): number {
    if (aggregation.kind === 'count') return this.count;
    if (aggregation.kind === 'rate') return elapsedMs > 0 ? this.count / (elapsedMs / 1_000) : 0;
    throw new Error(`${aggregation.kind} does not apply to a counter`);
  }
}

export class RateSink implements Sink {
  readonly type = 'rate' as const;
  trues = 0;
  total = 0;

  add(hit: boolean): void {
    this.total++;
    if (hit) this.trues++;
  }

  get empty(): boolean {
    return this.total === 0;
  }

  value(aggregation: Aggregation): number {
    if (aggregation.kind !== 'rate') throw new Error(`${aggregation.kind} does not apply to a rate`);
    return this.total === 0 ? 0 : this.trues / this.total;
  }
}

export class GaugeSink implements Sink {
  readonly type = 'gauge' as const;
  last = 0;
  min = Infinity;
  max = -Infinity;
  #touched = false;

  set(value: number): void {
    this.last = value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    this.#touched = true;
  }

  get empty(): boolean {
    return !this.#touched;
  }

  value(aggregation: Aggregation): number {
    if (aggregation.kind !== 'value') throw new Error(`${aggregation.kind} does not apply to a gauge`);
    return this.last;
  }
}

export type AnySink = TrendSink | CounterSink | RateSink | GaugeSink;

export function newSink(type: MetricType): AnySink {
  switch (type) {
    case 'trend':
      return new TrendSink();
    case 'counter':
      return new CounterSink();
    case 'rate':
      return new RateSink();
    case 'gauge':
      return new GaugeSink();
  }
}
